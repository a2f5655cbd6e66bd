"""The plugin's API, mounted at ``/api/v1/example/``."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, Field
from sqlmodel import select

from scrm.sdk.web import api_operation, body, current_tenant, db

from .models import ExampleNote

bp = Blueprint("example_api", __name__)


class NoteIn(BaseModel):
    body: str = Field(min_length=1, max_length=200)


class NoteOut(BaseModel):
    id: int
    body: str
    source: str
    customer_id: int | None


class NoteList(BaseModel):
    items: list[NoteOut]


def _out(note: ExampleNote) -> dict:
    return {"id": note.id, "body": note.body, "source": note.source, "customer_id": note.customer_id}


@bp.get("/notes")
@api_operation("example", "/notes", "get", "The tenant's notes, oldest first", response=NoteList)
def list_notes():
    rows = db().exec(select(ExampleNote).where(ExampleNote.tenant_id == current_tenant().id)
                     .order_by(ExampleNote.id)).all()
    return {"items": [_out(n) for n in rows]}


@bp.post("/notes")
@api_operation("example", "/notes", "post", "Write a note", request=NoteIn, response=NoteOut, status=201)
def create_note():
    data = body(NoteIn)
    note = ExampleNote(tenant_id=current_tenant().id, body=data.body, source="api")
    db().add(note)
    db().flush()
    return _out(note), 201
