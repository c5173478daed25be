"""The merchant profile that selects benchmarks and break-even: name, category, gross margin, stage."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["apparel", "kids", "shoes_bags", "digital", "food", "beauty", "home", "default"]
Stage = Literal["cold_start", "growth", "mature", "promotion"]
CATEGORIES: tuple[str, ...] = Category.__args__
STAGES: tuple[str, ...] = Stage.__args__


class MerchantProfile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = ""
    category: Category = "default"
    gross_margin: float | None = Field(default=None, gt=0, le=1)
    stage: Stage = "growth"

    @classmethod
    def from_merchant_json(cls, data: dict, lang: str = "zh") -> "MerchantProfile":
        """From a demo folder's merchant.json (names per language)."""
        return cls.model_validate({**data, "name": data.get(f"name_{lang}") or data.get("name") or data.get("slug", "")})
