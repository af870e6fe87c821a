"""A Salesforce Data Export as a source: a folder of ``<Object>.csv`` files, a folder of ZIP parts
(``WE_00D…_1.ZIP``, ``…_2.ZIP``) or one ``.zip`` file.

Every CSV is read by an in-memory DuckDB connection owned by crmlens (``read_csv`` with
``all_varchar``); ZIP members are extracted to a crmlens-owned temporary folder that is removed
when the dataset is closed (never next to the user's files).  A file in another encoding than the
configured one (``source.salesforce_export.encoding``, UTF-8 by default) is refused, naming the
file; a configured other encoding is decoded into the temporary folder first.  The canonical
tables are then built by :class:`crmlens.sources.salesforce.SalesforceObjects`.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
import zipfile
from pathlib import Path


from crmlens.config import SourceMapping
from crmlens.errors import SourceError
from crmlens.schema.sf_fields import BY_OBJECT
from crmlens.sources.base import Dataset, _first_line
from crmlens.sources.duckdb_connect import connect
from crmlens.sources.folder import diagnose_csv
from crmlens.sources.salesforce import SalesforceObjects, literal

CHUNK = 1 << 20


def zip_parts(path: Path) -> list[Path]:
    if path.is_file():
        return [path] if path.suffix.lower() == ".zip" else []
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".zip")


def is_sf_export(path: Path) -> bool:
    """A ``.zip`` file, a folder of ZIP parts, or a folder with ``Account.csv`` whose header
    holds API field names (``Id`` and ``Name``)."""
    if zip_parts(path):
        return True
    account = path / "Account.csv"
    if not (path.is_dir() and account.is_file()):
        return False
    with account.open("rb") as fh:
        header = fh.readline().decode("utf-8", "replace").replace('"', "").strip().split(",")
    return "Id" in header and "Name" in header


class ExportReader:
    """Collects the object files of every part and loads them into the engine."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.path = path
        self.encoding = encoding
        self.tmp: Path | None = None
        self.files: dict[str, list[Path]] = {}  # object → its files, part order
        try:
            self._collect()
        except SourceError:
            self.cleanup()
            raise

    def scratch(self) -> Path:
        if self.tmp is None:
            self.tmp = Path(tempfile.mkdtemp(prefix="crmlens-sfexport-"))
        return self.tmp

    def _collect(self) -> None:
        if self.path.is_dir():
            for f in sorted(self.path.iterdir()):
                self._add(f)
        for number, part in enumerate(zip_parts(self.path)):
            self._extract(part, self.scratch() / f"part{number}")

    def _add(self, f: Path) -> None:
        if f.is_file() and f.suffix.lower() == ".csv" and f.stem in BY_OBJECT:
            self.files.setdefault(f.stem, []).append(f)

    def _extract(self, part: Path, target: Path) -> None:
        try:
            with zipfile.ZipFile(part) as archive:
                for member in archive.infolist():
                    name = Path(member.filename).name
                    if member.is_dir() or not name.lower().endswith(".csv"):
                        continue
                    target.mkdir(parents=True, exist_ok=True)
                    with archive.open(member) as src, (target / name).open("wb") as dst:
                        shutil.copyfileobj(src, dst, CHUNK)
                    self._add(target / name)
        except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as exc:
            raise SourceError(
                "error.sf_zip_damaged", file=part.name, reason=_first_line(exc)
            ) from None

    def utf8(self, f: Path) -> Path:
        """The file itself when UTF-8 is configured, else a UTF-8 copy in the scratch folder."""
        if self.encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
            return f
        target = self.scratch() / "utf8" / f"{f.parent.name}-{f.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with (
                codecs.open(f, "r", self.encoding) as src,
                target.open("w", encoding="utf-8") as dst,
            ):
                shutil.copyfileobj(src, dst, CHUNK)
        except (UnicodeDecodeError, LookupError) as exc:
            raise SourceError(
                "error.sf_encoding", file=f.name, encoding=self.encoding, reason=_first_line(exc)
            ) from None
        return target

    def load(self, con, name: str) -> tuple[str, list[str]]:
        """Read every part of one object into a temporary table; its SQL name and columns."""
        selects = []
        for number, f in enumerate(self.files[name]):
            table = f"crmlens_raw_{name.lower()}_{number}"
            source = self.utf8(f)
            try:
                con.raw_sql(
                    f"CREATE TEMP TABLE {table} AS SELECT *, {number} AS _part FROM read_csv("
                    f"{literal(str(source))}, all_varchar = true, header = true, "
                    "delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
                    "null_padding = false, sample_size = -1)"
                )
            except Exception as exc:
                self._diagnose(source, f, name)
                raise SourceError(
                    "error.table_unreadable", table=name, reason=f"{f.name}: {_first_line(exc)}"
                ) from None
            selects.append(f"SELECT * FROM {table}")
        relation = f"crmlens_raw_{name.lower()}"
        con.raw_sql(f"CREATE TEMP VIEW {relation} AS {' UNION ALL BY NAME '.join(selects)}")
        columns = [r[0] for r in con.raw_sql(f"DESCRIBE {relation}").fetchall()]
        return relation, columns

    def _diagnose(self, source: Path, original: Path, name: str) -> None:
        try:
            diagnose_csv(source, name)
        except SourceError as exc:
            if exc.code == "error.csv_not_utf8":
                raise SourceError(
                    "error.sf_not_utf8", file=original.name, line=exc.params["line"]
                ) from None
            exc.params["file"] = original.name
            raise

    def cleanup(self) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


class ObjectsLoader:
    """Dataset loader: canonical table name → view built from the raw objects."""

    def __init__(self, objects: SalesforceObjects) -> None:
        self.objects = objects

    def names(self) -> list[str]:
        return self.objects.tables()

    def __call__(self, name: str):
        return self.objects.table(name)


def open_sf_export(path: Path, mapping: SourceMapping) -> Dataset:
    config = mapping.salesforce_export
    reader = ExportReader(path, config.encoding)
    con = connect()
    try:
        if "Account" not in reader.files:
            raise SourceError("error.sf_account_missing", source=str(path))
        relations = {name: reader.load(con, name) for name in reader.files}
    except SourceError:
        con.disconnect()
        raise
    finally:
        reader.cleanup()  # the rows are in the engine's temporary tables now
    objects = SalesforceObjects(con, relations, config)
    for name in relations:
        objects.clean(name)  # duplicates, deleted rows and currencies are reported up front
    dataset = Dataset(con, "sf_export", str(path), mapping, loader=ObjectsLoader(objects))
    dataset.layout, dataset.notes = "sf_export", objects.notes
    return dataset
