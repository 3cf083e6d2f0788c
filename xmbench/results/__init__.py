"""Result records (schema, validated IO), leaderboards and the regression check. Reads records only."""

from xmbench.results.boards import boards_csv, boards_markdown, group_boards
from xmbench.results.check import check_records, format_checks, parse_tolerances
from xmbench.results.io import read_record, read_records, record_filename, write_record
from xmbench.results.leaderboard import leaderboard_frame, to_csv, to_markdown
from xmbench.results.publish import update_leaderboard, write_leaderboard
from xmbench.results.schema import SCHEMA, SCHEMA_VERSION, protocol_key, validate_record

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "boards_csv",
    "boards_markdown",
    "check_records",
    "format_checks",
    "group_boards",
    "leaderboard_frame",
    "parse_tolerances",
    "protocol_key",
    "read_record",
    "read_records",
    "record_filename",
    "to_csv",
    "to_markdown",
    "update_leaderboard",
    "validate_record",
    "write_leaderboard",
    "write_record",
]
