"""Reading a form with evidence files so that a file over the limit costs no disk and
loses nothing typed.

Starlette's multipart parser keeps every byte of every file (in memory, then a temporary
file). For the forms that carry evidence files (a questionnaire page's, the progress
report's), :func:`read_capped_form` keeps at most ``max_file_bytes`` of each file and
counts the rest as it streams past: the form's text fields, before and after the file,
are read whole, and each file's ``size`` is its real size, so the route saves what was
typed and refuses the file by its size, beside its input
(:func:`pvpp.evidence.attach`).
"""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from pvpp.web.errors import PageError

__all__ = ["read_capped_form"]


class _CappedParser(MultiPartParser):
    """A multipart parser that keeps at most ``max_file_bytes`` of each file."""

    def __init__(self, request: Request, *, max_file_bytes: int, max_files: int,
                 max_fields: int) -> None:  # fmt: skip
        super().__init__(request.headers, request.stream(), max_files=max_files,
                         max_fields=max_fields)  # fmt: skip
        self.max_file_bytes = max_file_bytes
        self.sizes: dict[int, tuple[UploadFile, int]] = {}  # id of the file → it, its size

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        upload = self._current_part.file
        if upload is None:
            super().on_part_data(data, start, end)
            return
        _, size = self.sizes.get(id(upload), (upload, 0))
        keep = max(0, min(end - start, self.max_file_bytes - size))
        self.sizes[id(upload)] = (upload, size + end - start)
        if keep:
            super().on_part_data(data, start, start + keep)


async def read_capped_form(
    request: Request, *, max_file_bytes: int, max_files: int, max_fields: int
) -> FormData:
    """The request's multipart form with at most ``max_file_bytes`` kept of each file (its
    ``size`` the size sent); later ``await request.form()`` calls return the same form. A
    malformed body is refused (400) as Starlette refuses one."""
    parser = _CappedParser(request, max_file_bytes=max_file_bytes, max_files=max_files,
                           max_fields=max_fields)  # fmt: skip
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise PageError(400, "bad_request") from exc
    for upload, size in parser.sizes.values():
        upload.size = size
    # Starlette's own cache of the parsed form: the route's request.form() returns it.
    request._form = form
    return form
