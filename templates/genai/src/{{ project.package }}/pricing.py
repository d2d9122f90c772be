"""What a model call costs: the spec's ``price_per_mtok``, else genai-prices' bundled table.

genai-prices ships its price table inside the package (no network at run time) and knows
tiered prices (a long prompt may cost more per token), so the cost is computed for the
call's own token counts. A model neither the spec nor the table prices is *unpriced*:
budgets cannot be enforced for it, and the gateway refuses to use it in production.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import ModelRef, Price

PRICE_PROVIDERS = {
    "openai": "openai",
    "azure-openai": "azure",
    "anthropic": "anthropic",
    "google": "google",
    "bedrock": "aws",
    "mistral": "mistral",
}
"""The spec's provider names as genai-prices names them (``openai-compatible``: none)."""
MTOK = 1_000_000


class UnpricedModelError(LookupError):
    """Neither spec.yaml nor the bundled price table prices this model."""


@dataclass(frozen=True)
class Pricer:
    """Prices the calls of one model."""

    ref: ModelRef

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """USD for a call with these token counts.

        Raises:
            UnpricedModelError: no price for the model (give ``price_per_mtok`` in spec.yaml).
        """
        if self.ref.price is not None:
            return _by_price(self.ref.price, input_tokens, output_tokens)
        from genai_prices import Usage, calc_price

        provider = PRICE_PROVIDERS.get(self.ref.provider)
        if provider is None:
            raise UnpricedModelError(self._missing())
        try:
            result = calc_price(
                Usage(input_tokens=input_tokens, output_tokens=output_tokens),
                model_ref=self.ref.model,
                provider_id=provider,
            )
        except LookupError as err:
            raise UnpricedModelError(self._missing()) from err
        return float(result.total_price)

    def priced(self) -> bool:
        """Whether a price is known for this model."""
        try:
            self.cost(1, 1)
        except UnpricedModelError:
            return False
        return True

    def _missing(self) -> str:
        return (
            f"no price for model {self.ref.id!r} ({self.ref.provider} {self.ref.model}): "
            "give genai.models[].price_per_mtok in spec.yaml"
        )


def _by_price(price: Price, input_tokens: int, output_tokens: int) -> float:
    return (input_tokens * price.input + output_tokens * price.output) / MTOK


class FixedPricer(Pricer):
    """Prices calls at a fixed :class:`Price` (the fake model stands in for the primary's)."""

    def __init__(self, ref: ModelRef, price: Price) -> None:
        """Price ``ref``'s calls at ``price``."""
        super().__init__(ref)
        object.__setattr__(self, "_price", price)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """USD for a call at the fixed price."""
        price: Price = object.__getattribute__(self, "_price")
        return _by_price(price, input_tokens, output_tokens)
