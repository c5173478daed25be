"""Action plans: one pydantic schema, drafters in a registry (offline and LLM), a grounding linter, exports."""
