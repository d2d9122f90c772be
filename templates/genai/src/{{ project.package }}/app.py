"""The FastAPI app factory: ``uvicorn --factory <package>.app:create_app``.

One app for both GenAI kinds, with the services' authentication (API keys or JWT, roles and
permissions from spec.yaml's ``users[].can``, see auth.py):

* an assistant answers ``POST /v1/chat`` (server-sent events when the client accepts
  ``text/event-stream``) and hands what it cannot answer to ``/v1/reviews``;
* an agent takes goals at ``POST /v1/runs``, works on them in a worker, and waits at
  ``/v1/approvals`` for every write tool call;
* both have the kill switch (``/v1/kill-switch``), ``/healthz``, ``/readyz`` and ``/metrics``.

The runtime's refusals keep their HTTP meaning: a budget that would be exceeded is 429 before
any model call, the kill switch 423, every model of the chain failing 503. Validation errors
(422) name the refused fields and never echo the values that were sent.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__, project
from .approvals import ApprovalError, ApprovalView
from .assistant import Answer, Assistant, ModelUnavailable
from .auth import DenialSummary, Permission, Principal, allowed, authenticate, forbid
from .budgets import BudgetExceeded
from .config import is_agent
from .gateway import Gateway
from .killswitch import KillSwitchEngaged
from .prompts import PromptError
from .reviews import Handoff, ReviewError, Reviews
from .runs import GoalRefused, Runs
from .runtime import Runtime, open_runtime
from .services import Services, get_services, request_id
from .settings import Settings, get_settings
from .tools import toolbox
from .worker import Worker, close_thread_loop

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_ID = r"^[A-Za-z0-9-]{1,64}$"
STREAM_CHUNK_CHARS = 64
"""Characters of the (already checked) answer per server-sent ``delta`` event."""
REFUSALS: tuple[type[Exception], ...] = (
    BudgetExceeded,
    KillSwitchEngaged,
    ModelUnavailable,
    ApprovalError,
    ReviewError,
    GoalRefused,
)
"""The runtime's errors that carry their HTTP status (``status_code``)."""


def create_app(
    settings: Settings | None = None,
    *,
    gateway: Gateway | None = None,
    runtime: Runtime | None = None,
    start_worker: bool = True,
) -> FastAPI:
    """Build the app: the runtime, the kind's routes, middleware and operations endpoints.

    Raises:
        StartupRefused: a setting is refused, or production would run on the fake model,
            sandbox tools, a fake script or the default salt; uvicorn exits with one line.
    """
    owned = runtime is None  # a runtime the caller built (tests) is the caller's to close
    if runtime is not None:
        settings = runtime.settings
    else:
        settings = settings or get_settings()
        runtime = open_runtime(settings, gateway=gateway)
    services = Services(
        settings=settings,
        runtime=runtime,
        audit=runtime.audit,
        metrics=runtime.metrics,
        denials=DenialSummary(),
        reviews=Reviews(runtime.db, runtime.audit),
    )
    agent = is_agent()
    if agent:
        services.runs = Runs(runtime, toolbox())
        services.worker = Worker(services.runs, threads=settings.worker_threads)
    else:
        services.assistant = Assistant(runtime)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if services.worker is not None and start_worker:
            services.worker.start()  # resumes what a restart left queued or waiting
        yield
        if services.worker is not None and start_worker:
            services.worker.stop()
        services.denials.flush(services)
        if owned:
            runtime.close()

    app = FastAPI(title=project.name(), version=__version__, lifespan=lifespan)
    app.state.services = services
    app.add_middleware(ObserveMiddleware)
    app.add_exception_handler(RequestValidationError, validation_error)
    for error in REFUSALS:
        app.add_exception_handler(error, refused)
    app.add_exception_handler(PromptError, prompt_error)
    app.include_router(runs_router if agent else chat_router)
    app.include_router(switch_router)
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["operations"])
    app.add_api_route("/readyz", readyz, methods=["GET"], tags=["operations"])
    app.add_api_route("/metrics", metrics, methods=["GET"], tags=["operations"])
    return app


# --- authentication -------------------------------------------------------------------------


def caller(*permissions: Permission) -> Callable[[Request], Principal]:
    """A dependency admitting callers that hold any one of ``permissions`` (401, else 403)."""

    def dependency(request: Request) -> Principal:
        services = get_services(request)
        principal = authenticate(request, services.settings)
        if principal is None:
            services.metrics.auth_failures.inc()
            services.denials.add(services, _route(request.scope))
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="authentication required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not any(allowed(principal.role, p) for p in permissions):
            wanted = " or ".join(str(p) for p in permissions)
            forbid(services, request, principal, str(permissions[0]), f"role lacks {wanted}")
        return principal

    return dependency


# --- assistant ------------------------------------------------------------------------------


class ChatRequest(BaseModel):
    """A question, in a new conversation (no id) or a running one."""

    message: str = Field(min_length=1, max_length=8000)
    conversation_id: str | None = Field(default=None, pattern=_ID)


class CitationOut(BaseModel):
    """A passage the answer relies on."""

    id: str
    title: str
    source: str


class ChatResponse(BaseModel):
    """The assistant's answer, its hand-off to a person, or a refusal."""

    conversation_id: str
    status: Literal["answered", "abstained", "refused"]
    answer: str
    citations: list[CitationOut]
    disclosure: str | None
    marker: dict[str, str] | None = None


class Decision(BaseModel):
    """Why a person decides as they do (audited)."""

    reason: str = Field(min_length=1, max_length=2000)


class Reply(Decision):
    """A person's answer to a handed-off question."""

    answer: str = Field(min_length=1, max_length=8000)


class HandoffOut(BaseModel):
    """A question handed to a person."""

    id: str
    conversation_id: str
    question: str
    reason: str
    status: str
    created_at: str
    reply: str | None
    decided_by: str | None
    decided_at: str | None


def _chat_response(answer: Answer) -> ChatResponse:
    return ChatResponse(
        conversation_id=answer.conversation_id,
        status=answer.status,
        answer=answer.answer,
        citations=[CitationOut(id=c.id, title=c.title, source=c.source) for c in answer.citations],
        disclosure=answer.disclosure,
        marker=answer.marker,
    )


def _events(response: ChatResponse) -> Iterator[str]:
    """Server-sent events: the answer in ``delta`` chunks, then ``done`` with the whole response.

    The answer is streamed only after the output guardrails passed it: text a guardrail
    would have stopped (a leaked prompt, personal data, a made-up citation) never leaves.
    """
    for start in range(0, len(response.answer), STREAM_CHUNK_CHARS):
        chunk = response.answer[start : start + STREAM_CHUNK_CHARS]
        yield f"event: delta\ndata: {json.dumps({'text': chunk})}\n\n"
    yield f"event: done\ndata: {response.model_dump_json()}\n\n"


chat_router = APIRouter(prefix="/v1", tags=["assistant"])


@chat_router.post("/chat", response_model=ChatResponse)
def chat(
    body: ChatRequest,
    request: Request,
    principal: Annotated[Principal, Depends(caller(Permission.REQUEST))],
) -> Response:
    """Answer a question with citations, hand it to a person, or refuse it."""
    services = get_services(request)
    if services.assistant is None:  # pragma: no cover - the router is an assistant's only
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    try:
        answer = services.assistant.answer(
            body.message,
            actor=principal.actor,
            role=principal.role,
            conversation_id=body.conversation_id,
        )
    finally:
        close_thread_loop()  # the model call's event loop, on this worker thread
    response = _chat_response(answer)
    if "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(_events(response), media_type="text/event-stream")
    return JSONResponse(response.model_dump())


def _handoff(found: Handoff) -> HandoffOut:
    return HandoffOut(**found.__dict__)


@chat_router.get("/reviews", response_model=list[HandoffOut])
def reviews(
    request: Request,
    _principal: Annotated[Principal, Depends(caller(Permission.REVIEW))],
    review_status: Annotated[
        Literal["pending", "answered", "dismissed"], Query(alias="status")
    ] = "pending",
) -> list[HandoffOut]:
    """Questions handed to a person (pending by default), oldest first."""
    return [_handoff(h) for h in get_services(request).reviews.list(review_status)]


@chat_router.post("/reviews/{handoff_id}/answer", response_model=HandoffOut)
def answer_review(
    handoff_id: str,
    body: Reply,
    request: Request,
    principal: Annotated[Principal, Depends(caller(Permission.REVIEW))],
) -> HandoffOut:
    """Answer a handed-off question (never one's own: four eyes)."""
    return _handoff(
        get_services(request).reviews.decide(
            handoff_id,
            actor=principal.actor,
            role=principal.role,
            reply=body.answer,
            reason=body.reason,
            request_id=request_id(request),
        )
    )


@chat_router.post("/reviews/{handoff_id}/dismiss", response_model=HandoffOut)
def dismiss_review(
    handoff_id: str,
    body: Decision,
    request: Request,
    principal: Annotated[Principal, Depends(caller(Permission.REVIEW))],
) -> HandoffOut:
    """Dismiss a handed-off question (never one's own: four eyes)."""
    return _handoff(
        get_services(request).reviews.decide(
            handoff_id,
            actor=principal.actor,
            role=principal.role,
            reply=None,
            reason=body.reason,
            request_id=request_id(request),
        )
    )


# --- agent ----------------------------------------------------------------------------------


class RunRequest(BaseModel):
    """A goal for the agent, with optional structured inputs."""

    goal: str = Field(min_length=1, max_length=8000)
    inputs: dict[str, Any] | None = None


class RunCreated(BaseModel):
    """A run accepted for the worker."""

    run_id: str
    status: str


class RunOut(BaseModel):
    """A run with its report, evidence and tool calls."""

    run_id: str
    status: str
    report: str | None
    error: str | None
    evidence: list[dict[str, Any]]
    tool_calls: list[dict[str, Any]]


class ApprovalOut(BaseModel):
    """A write tool call waiting for (or given) a decision, bound to its arguments."""

    approval_id: str
    run_id: str
    tool: str
    args: dict[str, Any]
    args_sha256: str
    approver_role: str
    status: str
    expires_at: str


class SwitchRequest(Decision):
    """Engage or release the kill switch."""

    engaged: bool


runs_router = APIRouter(prefix="/v1", tags=["agent"])


def _runs(request: Request) -> tuple[Services, Runs, Worker]:
    services = get_services(request)
    if services.runs is None or services.worker is None:  # pragma: no cover - agents only
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return services, services.runs, services.worker


@runs_router.post("/runs", status_code=201, response_model=RunCreated)
def start_run(
    body: RunRequest,
    request: Request,
    principal: Annotated[Principal, Depends(caller(Permission.REQUEST))],
) -> RunCreated:
    """Start a run; the worker takes it from the queue (durable: a restart resumes it)."""
    _services, runs, worker = _runs(request)
    run_id = runs.start(body.goal, body.inputs, actor=principal.actor, role=principal.role)
    worker.submit(run_id)
    return RunCreated(run_id=run_id, status="running")


@runs_router.get("/runs/{run_id}", response_model=RunOut)
def get_run(
    run_id: str,
    request: Request,
    _principal: Annotated[Principal, Depends(caller(Permission.READ, Permission.REQUEST))],
) -> RunOut:
    """A run's status, report, evidence and tool calls."""
    _services, runs, _worker = _runs(request)
    view = runs.get(run_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no run {run_id}")
    return RunOut(**view.__dict__)


def _approval(view: ApprovalView) -> ApprovalOut:
    return ApprovalOut(
        approval_id=view.approval_id,
        run_id=view.run_id,
        tool=view.tool,
        args=view.args,
        args_sha256=view.args_sha256,
        approver_role=view.approver_role,
        status=view.status,
        expires_at=view.expires_at,
    )


@runs_router.get("/approvals", response_model=list[ApprovalOut])
def approvals(
    request: Request,
    _principal: Annotated[Principal, Depends(caller(Permission.REVIEW, Permission.SIGN))],
    approval_status: Annotated[
        Literal["pending", "approved", "rejected", "expired", "executing", "executed", "failed"],
        Query(alias="status"),
    ] = "pending",
) -> list[ApprovalOut]:
    """Approvals with a status (pending by default), oldest first."""
    _services, runs, _worker = _runs(request)
    return [_approval(a) for a in runs.approvals.list(approval_status)]


def _decide(
    request: Request, approval_id: str, principal: Principal, *, approve: bool, reason: str
) -> ApprovalOut:
    _services, runs, worker = _runs(request)
    view = runs.approvals.decide(
        approval_id,
        actor=principal.actor,
        role=principal.role,
        approve=approve,
        reason=reason,
        request_id=request_id(request),
    )
    worker.submit(view.run_id)  # the run continues: the approved call runs exactly once
    return _approval(view)


@runs_router.post("/approvals/{approval_id}/approve", response_model=ApprovalOut)
def approve(
    approval_id: str,
    body: Decision,
    request: Request,
    principal: Annotated[Principal, Depends(caller(Permission.REVIEW, Permission.SIGN))],
) -> ApprovalOut:
    """Approve a pending call (not its requester; only the tool's approval role)."""
    return _decide(request, approval_id, principal, approve=True, reason=body.reason)


@runs_router.post("/approvals/{approval_id}/reject", response_model=ApprovalOut)
def reject(
    approval_id: str,
    body: Decision,
    request: Request,
    principal: Annotated[Principal, Depends(caller(Permission.REVIEW, Permission.SIGN))],
) -> ApprovalOut:
    """Reject a pending call; the run is told it was denied."""
    return _decide(request, approval_id, principal, approve=False, reason=body.reason)


# --- both -----------------------------------------------------------------------------------

switch_router = APIRouter(prefix="/v1", tags=["operations"])


@switch_router.get("/kill-switch")
def switch_state(
    request: Request,
    _principal: Annotated[Principal, Depends(caller(Permission.OPERATE, Permission.READ))],
) -> dict[str, Any]:
    """Whether the kill switch is engaged, since when and by whom."""
    state = get_services(request).runtime.kill_switch.state()
    return {"engaged": state.engaged, "changed_at": state.changed_at, "reason": state.reason}


@switch_router.post("/kill-switch")
def set_switch(
    body: SwitchRequest,
    request: Request,
    principal: Annotated[Principal, Depends(caller(Permission.OPERATE))],
) -> dict[str, Any]:
    """Engage (stops new work, running work at its next step, and approvals) or release it."""
    services = get_services(request)
    state = services.runtime.kill_switch.set(
        body.engaged,
        actor=principal.actor,
        role=principal.role,
        reason=body.reason,
        request_id=request_id(request),
    )
    services.metrics.kill_switch.set(int(state.engaged))
    return {"engaged": state.engaged, "changed_at": state.changed_at, "reason": state.reason}


async def refused(_request: Request, exc: Exception) -> JSONResponse:
    """Answer a runtime refusal with its HTTP status and its one-line reason."""
    code = int(getattr(exc, "status_code", 500))
    return JSONResponse({"detail": str(exc)}, status_code=code)


async def prompt_error(_request: Request, exc: Exception) -> JSONResponse:
    """A prompt changed without a new lock: nothing is answered with an unreviewed prompt."""
    return JSONResponse({"detail": f"prompt not locked: {exc}"}, status_code=503)


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """Answer 422 naming each refused field, never echoing the values sent (personal data)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in errors
    ]
    return JSONResponse({"detail": detail}, status_code=422)


class ObserveMiddleware:
    """Give each request an id, refuse oversized bodies, count and time requests."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call; only HTTP requests are observed."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming = headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _REQUEST_ID.match(incoming) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = rid
        services: Services = scope["app"].state.services
        metrics = services.metrics
        method = scope["method"]
        declared = headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > services.settings.max_body_bytes:
            too_big = JSONResponse({"detail": "request body too large"}, status_code=413)
            too_big.headers[REQUEST_ID_HEADER] = rid
            await too_big(scope, receive, send)
            metrics.requests.labels(method, "unmatched", "413").inc()
            return
        code = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal code
            if message["type"] == "http.response.start":
                code = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            metrics.errors.labels(_route(scope)).inc()
            metrics.requests.labels(method, _route(scope), "500").inc()
            raise
        route = _route(scope)
        metrics.latency.labels(method, route).observe(time.perf_counter() - started)
        metrics.requests.labels(method, route, str(code)).inc()
        if code >= 500:
            metrics.errors.labels(route).inc()


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers, the prompts are locked, callers can authenticate.

    ``retrieval`` says how questions are searched: full-text, or hybrid with pgvector.
    """
    services = get_services(request)
    problems = []
    try:
        services.audit.ping()
    except Exception as err:  # any storage error means not ready
        problems.append(f"storage: {type(err).__name__}")
    try:
        services.runtime.prompt()
    except PromptError as err:
        problems.append(f"prompts: {err}")
    settings = services.settings
    if not (settings.api_keys or settings.jwt_key or settings.jwt_jwks_url):
        problems.append("no credentials configured: set API keys or JWT settings")
    try:
        retrieval = services.runtime.index.mode()
    except Exception as err:  # counted as a storage problem above
        retrieval = f"unknown ({type(err).__name__})"
    if problems:
        return JSONResponse(
            {"status": "not ready", "problems": problems, "retrieval": retrieval}, status_code=503
        )
    return JSONResponse({"status": "ready", "retrieval": retrieval})


def metrics(request: Request) -> Response:
    """Prometheus metrics, with the review queue and pending approvals counted."""
    services = get_services(request)
    if services.runs is not None:
        services.metrics.approvals_pending.set(len(services.runs.approvals.list("pending")))
    else:
        services.metrics.review_queue.set(services.reviews.count_pending())
    services.metrics.kill_switch.set(int(services.runtime.kill_switch.engaged()))
    return Response(services.metrics.render(), media_type="text/plain; version=0.0.4")
