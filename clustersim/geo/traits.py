"""County traits from an optional CSV keyed by administrative code (``[geography] traits_csv``).

Columns: ``code`` (required, the region's code), optionally ``name`` (for the reader; checked
against the region's name) and any field of :class:`~clustersim.params.RegionTraits`. A region
without a row, an empty cell or a missing column keeps the default of ``[geography.county]`` (or
``[geography.origin]``); :func:`apply_traits` says which traits were defaulted, so the run
summary can list them.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pydantic import ValidationError

from clustersim.params import RegionTraits


def apply_traits(path: Path, codes: list[str], names: list[str],
                 traits: list[RegionTraits]) -> tuple[list[RegionTraits], dict[str, int]]:
    """``traits`` with the file's values applied, and how many regions took each trait from it."""
    from clustersim.geography import TRAIT_FIELDS, RegionFileError

    if not path.is_file():
        raise RegionFileError(path, "geography.traits_csv", str(path), "the file does not exist")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        if "code" not in columns:
            raise RegionFileError(path, "columns", columns, "a column named 'code' is required")
        for col in columns:
            if col not in ("code", "name", *TRAIT_FIELDS):
                raise RegionFileError(path, "columns", col,
                                      f"unknown column; allowed: code, name, {', '.join(TRAIT_FIELDS)}")
        rows = list(reader)
    index = {c: i for i, c in enumerate(codes)}
    out = list(traits)
    counts = dict.fromkeys(TRAIT_FIELDS, 0)
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        code = (row["code"] or "").strip()
        if code not in index:
            raise RegionFileError(path, f"line {line}: code", code, "the code of a region of this scenario")
        if code in seen:
            raise RegionFileError(path, f"line {line}: code", code, "each code once")
        seen.add(code)
        i = index[code]
        if (row.get("name") or "").strip() not in ("", names[i]):
            raise RegionFileError(path, f"line {line}: name", row["name"], f"{names[i]!r} (the name of code {code})")
        changes = {k: v.strip() for k, v in row.items() if k in TRAIT_FIELDS and v is not None and v.strip()}
        try:
            out[i] = RegionTraits.model_validate({**traits[i].model_dump(), **changes}, strict=False)
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise RegionFileError(path, f"line {line}: {field}", first.get("input"), first["msg"]) from None
        for k in changes:
            counts[k] += 1
    return out, counts
