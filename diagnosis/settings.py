"""One table of tunable limits, each with a default, an environment override and help text.

Kept in one place (the datasette way) so the docs, the CLI and the app read the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: float
    help: str

    @property
    def env(self) -> str:
        return f"BELTDOCTOR_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting("max_file_mb", 200, "Largest export file accepted, in MB of raw bytes."),
    Setting("max_uncompressed_mb", 2048, "Largest declared uncompressed size of an XLSX (zip) archive, in MB."),
    Setting("max_rows", 5_000_000, "Most data rows read from one file."),
    Setting("max_columns", 500, "Most columns read from one file."),
    Setting("max_sheets", 100, "Most worksheets of a workbook searched for the export's header."),
    Setting("max_shared_strings", 1_000_000, "Most entries in an XLSX shared-string table (openpyxl loads them all up front)."),
    Setting("max_shared_strings_mb", 128, "Largest uncompressed XLSX shared-string part, in MB."),
    Setting("max_xlsx_part_mb", 8, "Largest uncompressed XLSX part openpyxl parses whole (styles, workbook, relationships), in MB."),
    Setting("max_xlsx_cells", 20_000_000, "Most cells (up to each row's last value) read from one worksheet."),
    Setting("max_merged_ranges", 20_000, "Most merged-cell ranges in one worksheet."),
    Setting("max_line_kb", 1024, "Longest CSV line (or quoted record) in KB; longer ones mean a broken or non-table file."),
    Setting("max_abs_value", 1e11, "Largest magnitude of a money or count cell; beyond it the cell is unreadable, not a number."),
    Setting("earliest_year", 2016, "Dates before 1 January of this year are implausible for a Douyin export and set to missing."),
    Setting("max_future_days", 3, "Dates more than this many days after today are implausible and set to missing."),
    Setting("header_scan_rows", 30, "Rows searched from the top of a sheet for the header row."),
    Setting("min_kind_score", 0.12, "Lowest detection score (0-1) at which a file is assigned an export kind."),
    Setting("max_warnings_per_column", 200, "Row-level warnings kept per column and reason (the rest are counted)."),
    Setting("llm_connect_timeout", 5, "Seconds to connect to the LLM endpoint."),
    Setting("llm_read_timeout", 60, "Seconds to wait for the LLM's first token (and between bytes of a plain answer)."),
    Setting("llm_stall_timeout", 20, "Seconds of silence after which a streaming LLM answer counts as stalled."),
    Setting("llm_deadline", 85, "Seconds after which an LLM plan is abandoned for the offline drafter."),
    Setting("llm_context", 8192, "The LLM server's context in tokens. Unset: what the server reports, else its kind's known size, else this default."),
    Setting("llm_max_output_tokens", 8192, "Most tokens an LLM plan answer may take (max_tokens is sized to the plan below this)."),
    Setting("llm_capability_ttl", 24, "Hours an endpoint's learned capabilities (kind, formats, context) are kept before asking again."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> float:
    """The setting's value from the typed configuration (`BELTDOCTOR_<NAME>`, else the default); a value that is
    not a number is a ConfigError naming the variable, never silently the default."""
    from diagnosis.config import config

    if name not in _BY_NAME:
        raise KeyError(f"no setting '{name}'")
    return float(getattr(config(), name))


def data_home() -> Path:
    """Where BeltDoctor keeps its data (`BELTDOCTOR_HOME`, default `./.beltdoctor`); read at each call so tests
    and a second shop can point elsewhere at once."""
    from diagnosis.config import config

    return config().home
