"""The OpenAPI 3.1 description of /api/v1; tests validate it and check every response against it."""
from __future__ import annotations

from functools import lru_cache

from ..programmes.service import STATUSES


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


ERRORS = {
    "400": _json("Error", "Malformed request"),
    "401": _json("Error", "Missing or invalid bearer token"),
    "403": _json("Error", "The token's user may not do this"),
    "404": _json("Error", "Not found, or not visible to the token's user"),
}

TEXT = {"type": "object", "required": ["zh"], "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}}
NULLABLE_NUMBER = {"type": ["number", "null"]}

SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "array"}}}}},
    "Text": TEXT,
    "Instrument": {"type": "object", "required": ["id", "version", "title", "method", "content_hash", "questions"], "properties": {
        "id": {"type": "string"}, "version": {"type": "string"}, "title": _ref("Text"),
        "method": {"type": "string", "enum": ["weighted_points", "level_gated", "rule_levels"]},
        "content_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "questions": {"type": "integer"}}},
    "InstrumentDetail": {"allOf": [_ref("Instrument"), {"type": "object", "required": ["definition"],
                                                        "properties": {"definition": {"type": "object"}}}]},
    "InstrumentList": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": _ref("Instrument")}}},
    "Company": {"type": "object", "required": ["id", "name", "uscc", "industry_division", "size_class"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "uscc": {"type": "string", "minLength": 18, "maxLength": 18},
        "industry_division": {"type": "string"}, "size_class": {"type": "string", "enum": ["large", "medium", "small", "micro"]},
        "sub_zone": {"type": ["string", "null"]}, "employees": {"type": "integer"}, "revenue": {"type": "number"}}},
    "CompanyList": {"type": "object", "required": ["items", "total", "page"], "properties": {
        "items": {"type": "array", "items": _ref("Company")}, "total": {"type": "integer"}, "page": {"type": "integer"}}},
    "Progress": {"type": "object", "required": ["answered", "shown", "percent", "missing"], "properties": {
        "answered": {"type": "integer"}, "shown": {"type": "integer"}, "percent": {"type": "integer"},
        "missing": {"type": "array", "items": {"type": "string"}}}},
    "AssessmentSummary": {"type": "object", "required": ["id", "company_id", "instrument", "version", "status", "created_at"], "properties": {
        "id": {"type": "integer"}, "company_id": {"type": "integer"}, "instrument": {"type": "string"},
        "version": {"type": "string"}, "content_hash": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "submitted"]}, "finalised": {"type": "boolean"},
        "state": _ref("ReviewState"), "self_level": {"type": ["integer", "null"]},
        "verified_level": {"type": ["integer", "null"]},
        "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
        "submitted_at": {"type": ["string", "null"], "format": "date-time"}}},
    "Assessment": {"allOf": [_ref("AssessmentSummary"), {"type": "object", "required": ["answers", "progress"], "properties": {
        "answers": {"type": "object", "description": "question id -> answer value"}, "progress": _ref("Progress"),
        "changed": {"type": "array", "items": {"type": "string"}},
        "confirmed": {"type": "array", "items": {"type": "string"}},
        "versions": {"type": "object", "additionalProperties": {"type": "integer"}},
        "carried": {"type": ["object", "null"], "required": ["from_assessment", "from_date", "unconfirmed"],
                    "description": "a re-assessment started from the firm's last answers; null otherwise",
                    "properties": {"from_assessment": {"type": "integer"}, "from_date": {"type": ["string", "null"]},
                                   "unconfirmed": {"type": "array", "items": {"type": "string"},
                                                   "description": "carried answers to confirm (or change) before submitting"}}}}}]},
    "AssessmentList": {"type": "object", "required": ["items", "total", "page"], "properties": {
        "items": {"type": "array", "items": _ref("AssessmentSummary")}, "total": {"type": "integer"}, "page": {"type": "integer"}}},
    "NewAssessment": {"type": "object", "required": ["instrument"], "properties": {
        "instrument": {"type": "string"}, "company_id": {"type": "integer", "description": "required for consultants"},
        "prefill": {"type": "boolean", "description": "start a new draft from the firm's last submitted answers on the "
                    "instrument (same version, or through the version mapping); each must be confirmed or changed"}}},
    "Answers": {"type": "object", "required": ["answers"], "properties": {"answers": {
        "type": "object", "description": "question id -> value; single/level: option id, multi: list of option ids, "
                                          "number, yesno: boolean, text: string; null clears an answer"},
        "base": {"type": "object", "additionalProperties": {"type": "integer"},
                 "description": "question id -> the answer version you read (0: none); a newer stored answer is a conflict"},
        "confirm": {"type": "array", "items": {"type": "string"},
                    "description": "question ids whose carried answers (from the last assessment) you confirm as they stand"}}},
    "Result": {"type": "object", "required": ["assessment_id", "instrument", "method", "total", "level", "level_name", "dimensions"], "properties": {
        "assessment_id": {"type": "integer"}, "instrument": {"type": "string"}, "method": {"type": "string"},
        "total": {"type": "number"}, "level": {"type": "integer"}, "level_name": _ref("Text"),
        "dimensions": {"type": "object", "additionalProperties": {"type": "object", "required": ["percent"], "properties": {
            "points": NULLABLE_NUMBER, "max_points": NULLABLE_NUMBER, "percent": {"type": "number"}}}},
        "indicators": {"type": "object", "additionalProperties": {"type": "number"}},
        "blockers": {"type": ["object", "null"]}, "benchmark": {"type": ["object", "null"]},
        "period": {"type": "string", "pattern": "^[0-9]{4}Q[1-4]$"}, "previous_level": {"type": ["integer", "null"]},
        # The fewest answer changes that reach the next level, by the instrument's rule; null at the top.
        "next_level_path": {"type": ["object", "null"], "required": ["level", "changes", "steps"], "properties": {
            "level": {"type": "integer"}, "changes": {"type": "integer"},
            "steps": {"type": "array", "items": {"type": "object", "required": ["kind", "count"]}}}},
        "state": _ref("ReviewState"), "verified_level": {"type": ["integer", "null"]},
        "verified_total": NULLABLE_NUMBER}},
    "ReviewState": {"type": "string", "enum": ["draft", "submitted", "verifying", "in_review", "returned", "approved",
                                               "rejected"]},
    "Review": {"type": "object", "required": ["assessment_id", "state", "self_level", "verified_level", "verifications",
                                              "evidence", "history", "allowed"], "properties": {
        "assessment_id": {"type": "integer"}, "state": _ref("ReviewState"),
        "self_level": {"type": ["integer", "null"]}, "verified_level": {"type": ["integer", "null"]},
        "self_total": NULLABLE_NUMBER, "verified_total": NULLABLE_NUMBER,
        "pledge": {"type": ["object", "null"], "properties": {"version": {"type": "string"}, "by": {"type": "integer"},
                                                              "at": {"type": "string", "format": "date-time"}}},
        "verifications": {"type": "array", "items": {"type": "object", "required": ["question", "verdict"], "properties": {
            "question": {"type": "string"}, "verdict": {"type": "string", "enum": ["confirmed", "corrected"]},
            "firm_value": {}, "value": {}, "reason": {"type": ["string", "null"]}}}},
        "evidence": {"type": "array", "items": _ref("Evidence")},
        "history": {"type": "array", "items": {"type": "object", "required": ["id", "action", "at"], "properties": {
            "id": {"type": "integer"}, "action": {"type": "string"}, "question": {"type": ["string", "null"]},
            "reply_to": {"type": ["integer", "null"]}, "text": {"type": ["string", "null"]}}}},
        "notes": {"type": "array", "items": {"type": "object", "required": ["id", "question", "text"], "properties": {
            "id": {"type": "integer"}, "question": {"type": "string"}, "text": {"type": "string"}}}},
        "allowed": {"type": "array", "items": {"type": "string"}}}},
    "Evidence": {"type": "object", "required": ["id", "question", "filename", "media_type", "size", "sha256"], "properties": {
        "id": {"type": "integer"}, "question": {"type": "string"}, "filename": {"type": "string"},
        "media_type": {"type": "string"}, "size": {"type": "integer"}, "sha256": {"type": "string"}}},
    "ProviderList": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
        "type": "object", "required": ["id", "name", "credit_code", "active"], "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "credit_code": {"type": "string"},
            "active": {"type": "boolean"}}}}}},
    "Programme": {"type": "object", "required": ["id", "name", "instrument", "area_id", "zone_id", "starts_on", "ends_on",
                                                 "status", "lang", "reminder_days", "reminder_cap", "quotas"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "instrument": {"type": "string"},
        "area_id": {"type": "integer"}, "zone_id": {"type": "integer"},
        "starts_on": {"type": "string", "format": "date"}, "ends_on": {"type": "string", "format": "date"},
        "status": {"type": "string", "enum": ["draft", "running", "closed"]}, "lang": {"type": "string", "enum": ["zh", "en"]},
        "reminder_days": {"type": "integer"}, "reminder_cap": {"type": "integer"},
        "quotas": {"type": "object", "additionalProperties": {"type": "integer"}},
        "consultant_quotas": {"type": "object", "description": "consultant user id -> firms",
                              "additionalProperties": {"type": "integer"}}}},
    "ProgrammeList": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": _ref("Programme")}}},
    "StatusCounts": {"type": "object", "required": list(STATUSES),
                     "properties": {s: {"type": "integer"} for s in STATUSES}},
    "ProgrammeStatus": {"allOf": [_ref("Programme"), {"type": "object", "required": ["progress"], "properties": {
        "progress": {"type": "object", "required": ["total", "firms", "sub_zones"], "properties": {
            "total": _ref("StatusCounts"), "firms": {"type": "integer"},
            "sub_zones": {"type": "array", "items": {"type": "object", "required": ["sub_zone", "counts", "firms", "quota",
                                                                                    "quota_share"], "properties": {
                "sub_zone": {"type": "string"}, "counts": _ref("StatusCounts"), "firms": {"type": "integer"},
                "quota": {"type": ["integer", "null"]}, "quota_share": NULLABLE_NUMBER}}},
            "consultants": {"type": "array", "items": {"type": "object", "required": ["consultant_id", "name", "counts", "firms",
                                                                                      "quota", "quota_share"], "properties": {
                "consultant_id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"},
                "counts": _ref("StatusCounts"), "firms": {"type": "integer"}, "quota": {"type": ["integer", "null"]},
                "quota_share": NULLABLE_NUMBER}}}}}}}]},
    "Roster": {"type": "object", "required": ["page", "per_page", "items"], "properties": {
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "items": {"type": "array", "items": {
            "type": "object", "required": ["uscc", "name", "company_id", "status", "invited_at", "opened_at", "started_at",
                                           "submitted_at", "reminders_sent"], "properties": {
                "uscc": {"type": "string"}, "name": {"type": "string"}, "company_id": {"type": ["integer", "null"]},
                "industry_division": {"type": "string"}, "size_class": {"type": "string"}, "above_scale": {"type": "boolean"},
                "sub_zone": {"type": ["string", "null"]}, "status": {"type": "string", "enum": list(STATUSES)},
                "invited_at": {"type": ["string", "null"], "format": "date-time"},
                "opened_at": {"type": ["string", "null"], "format": "date-time"},
                "started_at": {"type": ["string", "null"], "format": "date-time"},
                "submitted_at": {"type": ["string", "null"], "format": "date-time"},
                "reminders_sent": {"type": "integer"}}}}}},
    "TargetList": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
        "type": "object", "required": ["id", "name", "indicator", "nature", "base_year", "base_value", "target_year",
                                       "target_value", "source", "is_demo", "value", "counted", "denominator", "progress",
                                       "projection", "on_track"], "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"},
            "indicator": {"type": "string", "enum": ["coverage", "firms_at_level", "share_at_level"]},
            "nature": {"type": "string", "enum": ["expected", "binding"]}, "min_level": {"type": ["integer", "null"]},
            "base_year": {"type": "integer"}, "base_value": {"type": "number"}, "target_year": {"type": "integer"},
            "target_value": {"type": "number"}, "source": {"type": "string"}, "is_demo": {"type": "boolean"},
            "value": {"type": "number"}, "counted": {"type": "integer"}, "denominator": {"type": "integer"},
            "progress": {"type": "number"}, "on_track": {"type": "boolean"},
            "projection": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["value", "per_quarter", "quarters", "from",
                                                                                     "to", "at"]}]}}}}}},
    "ZoneAggregates": {"type": "object", "required": ["filters", "overview", "levels", "dimensions", "trend", "movement"], "properties": {
        "filters": {"type": "object"},
        "overview": {"type": "object", "required": ["registered", "assessed", "drafts", "participation", "mean_total"], "properties": {
            "registered": {"type": "integer"}, "assessed": {"type": "integer"}, "drafts": {"type": "integer"},
            "participation": {"type": "number"}, "mean_total": NULLABLE_NUMBER}},
        "levels": {"type": "object", "required": ["levels", "total"], "properties": {
            "total": {"type": "integer"}, "references": {"type": "array"},
            "levels": {"type": "array", "items": {"type": "object", "required": ["level", "count", "share", "name"], "properties": {
                "level": {"type": "integer"}, "count": {"type": "integer"}, "share": {"type": "number"}, "name": {"type": "string"}}}}}},
        "dimensions": {"type": "object", "required": ["dimensions"], "properties": {"dimensions": {"type": "array", "items": {
            "type": "object", "required": ["dimension", "title", "mean", "n", "platform_mean"], "properties": {
                "dimension": {"type": "string"}, "title": {"type": "string"}, "mean": NULLABLE_NUMBER, "n": {"type": "integer"},
                "platform_mean": NULLABLE_NUMBER}}}}},
        "trend": {"type": "object", "required": ["periods", "level_names"], "properties": {
            "periods": {"type": "array", "items": {"type": "object", "required": ["period", "n", "levels", "mean_total"]}},
            "level_names": {"type": "array", "items": {"type": "string"}}}},
        "movement": {"type": "object", "required": ["up", "same", "down"], "properties": {
            "up": {"type": "integer"}, "same": {"type": "integer"}, "down": {"type": "integer"}}}}},
}

PLAN_STATUS = {"type": "string", "enum": ["planned", "in_progress", "done", "dropped"]}
DATE = {"type": ["string", "null"], "format": "date"}
SCHEMAS.update({
    "PlanItem": {"type": "object", "required": ["id", "company_id", "title", "status", "indicators"], "properties": {
        "id": {"type": "integer"}, "company_id": {"type": "integer"}, "assessment_id": {"type": ["integer", "null"]},
        "title": _ref("Text"), "indicators": {"type": "array", "items": {"type": "string"}},
        "owner": {"type": ["string", "null"], "description": "free text: an owner without an account (e.g. a supplier)"},
        "owner_user_id": {"type": ["integer", "null"],
                          "description": "the firm's user who owns the item; reminders go to them alone (to every "
                                         "user of the firm when null)"},
        "owner_user_name": {"type": ["string", "null"]}, "due_date": DATE,
        "budget_band": {"type": ["string", "null"], "enum": ["lt10", "10-50", "50-200", "gt200", None],
                        "description": "万元: under 10, 10-50, 50-200, over 200"},
        "status": PLAN_STATUS, "drop_reason": {"type": ["string", "null"]},
        "done_at": {"type": ["string", "null"], "format": "date-time"},
        "project": {"type": ["object", "null"], "required": ["name"], "properties": {
            "name": {"type": "string"}, "supplier": {"type": ["string", "null"]},
            "amount": {"type": ["number", "null"], "description": "万元"}, "start": DATE, "end": DATE}},
        "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}},
    "PlanItemList": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": _ref("PlanItem")}}},
    "PlanItemFields": {"type": "object", "additionalProperties": False, "properties": {
        "title": {"type": "string", "maxLength": 500}, "owner": {"type": ["string", "null"], "maxLength": 100},
        "owner_user_id": {"type": ["integer", "null"], "minimum": 1,
                          "description": "an active user of the same firm (another firm's user is refused, 422); "
                                         "an item has one owner: setting owner_user_id clears owner, setting owner "
                                         "clears owner_user_id"},
        "due_date": DATE, "budget_band": {"type": ["string", "null"]}, "status": PLAN_STATUS,
        "drop_reason": {"type": ["string", "null"], "description": "required when status is dropped"},
        "indicators": {"type": "array", "items": {"type": "string"}},
        "project_name": {"type": ["string", "null"]}, "project_supplier": {"type": ["string", "null"]},
        "project_amount": {"type": ["number", "null"]}, "project_start": DATE, "project_end": DATE}},
    "Eligibility": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
        "type": "object", "required": ["id", "programme", "document", "year", "source", "eligible", "checks", "blocking", "not_checked"],
        "properties": {
            "id": {"type": "string"}, "programme": {"type": "string"}, "document": {"type": "string"},
            "year": {"type": "integer"}, "source": {"type": "string"}, "eligible": {"type": "boolean"},
            "checks": {"type": "array", "items": {"type": "object", "required": ["instrument", "min_level", "level", "met"]}},
            "blocking": {"type": ["object", "null"], "description": "the first unmet condition, with the firm's current level"},
            "not_checked": {"type": "array", "items": {"type": "string"},
                            "description": "conditions of the programme this tool cannot check"},
            "note": {"type": ["string", "null"]}}}}}},
    "EligibilityRules": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
        "type": "object", "required": ["id", "programme", "document", "year", "source", "ready", "assessed"],
        "properties": {
            "id": {"type": "string"}, "programme": {"type": "string"}, "document": {"type": "string"},
            "year": {"type": "integer"}, "source": {"type": "string"},
            "ready": {"type": "integer", "description": "firms meeting every condition this tool can check"},
            "assessed": {"type": "integer",
                         "description": "firms with a latest result on every instrument the rule checks"}}}}}},
    "ReadyFirms": {"type": "object", "required": ["rule", "page", "per_page", "total", "items"], "properties": {
        "rule": {"type": "object", "required": ["id", "programme", "document", "year", "source", "checks", "not_checked"],
                 "description": "the rule: document, year, source, the minimum level per instrument, what is not checked"},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
        "items": {"type": "array", "items": {
            "type": "object", "required": ["id", "name", "uscc", "industry", "sub_zone", "levels"], "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}, "uscc": {"type": "string"},
                "industry": {"type": "string"}, "sub_zone": {"type": "string"},
                "levels": {"type": "object", "description": "per instrument the rule checks: the firm's latest level",
                           "additionalProperties": {"type": "object", "required": ["level", "name"], "properties": {
                               "level": {"type": "integer"}, "name": {"type": "string"}}}}}}}}},
    "FromRecommendation": {"type": "object", "required": ["recommendation"], "properties": {
        "recommendation": {"type": "integer", "minimum": 1,
                           "description": "the recommendation's rank (1 = first) as the result and report list them"}}},
})


def plan_paths() -> dict:
    cid, aid, iid = _id_param("company_id"), _id_param("assessment_id"), _id_param("item_id")
    e422 = _json("Error", "Invalid fields, listed in details")
    lang = {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["zh", "en"]}}
    return {
        "/companies/{company_id}/plan": {"get": {
            "operationId": "getPlan", "summary": "The firm's improvement plan items", "parameters": [cid],
            "responses": {"200": _json("PlanItemList", "Items, by due date"), "401": ERRORS["401"], "404": ERRORS["404"]}}},
        "/companies/{company_id}/plan/items": {"post": {
            "operationId": "addPlanItem", "summary": "Add an item the firm writes itself (a title is required)",
            "parameters": [cid], "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("PlanItemFields")}}},
            "responses": {"201": _json("PlanItem", "Added"), "400": ERRORS["400"], "401": ERRORS["401"],
                          "403": ERRORS["403"], "404": ERRORS["404"], "422": e422}}},
        "/assessments/{assessment_id}/plan/items": {"post": {
            "operationId": "addPlanItemFromRecommendation",
            "summary": "Make a result's recommendation a plan item (the same one again returns the existing item)",
            "parameters": [aid], "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("FromRecommendation")}}},
            "responses": {"201": _json("PlanItem", "Added"), "400": ERRORS["400"], "401": ERRORS["401"],
                          "403": ERRORS["403"], "404": ERRORS["404"], "422": e422}}},
        "/companies/{company_id}/eligibility": {"get": {
            "operationId": "getEligibility",
            "summary": "Each shipped programme rule (document, year, source) evaluated on the firm's latest results",
            "parameters": [cid, {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["zh", "en"]}}],
            "responses": {"200": _json("Eligibility", "Eligible programmes first"), "401": ERRORS["401"], "404": ERRORS["404"]}}},
        "/eligibility/rules": {"get": {
            "operationId": "listEligibilityRules",
            "summary": "Zone staff: each programme rule with how many of their firms (their area and below) are ready "
                       "to apply; providers and firms get 403",
            "parameters": [lang],
            "responses": {"200": _json("EligibilityRules", "Rules with counts"), "401": ERRORS["401"],
                          "403": ERRORS["403"]}}},
        "/eligibility/rules/{rule_id}": {"get": {
            "operationId": "getReadyFirms",
            "summary": "Zone staff: the firms of their area and below ready to apply under one rule, by name, "
                       "100 a page; providers and firms get 403",
            "parameters": [{"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"}}, PAGE, lang],
            "responses": {"200": _json("ReadyFirms", "Ready firms"), "400": ERRORS["400"], "401": ERRORS["401"],
                          "403": ERRORS["403"], "404": ERRORS["404"]}}},
        "/plan-items/{item_id}": {
            "get": {"operationId": "getPlanItem", "parameters": [iid],
                    "responses": {"200": _json("PlanItem", "The item"), "401": ERRORS["401"], "404": ERRORS["404"]}},
            "patch": {"operationId": "updatePlanItem", "summary": "Change fields of an item; status changes are audited",
                      "parameters": [iid], "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("PlanItemFields")}}},
                      "responses": {"200": _json("PlanItem", "Saved"), "400": ERRORS["400"], "401": ERRORS["401"],
                                    "403": ERRORS["403"], "404": ERRORS["404"], "422": e422}}},
    }


def _id_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}
FILTERS = [{"name": n, "in": "query", "schema": {"type": "string"}, "description": d} for n, d in (
    ("instrument", "instrument id (default sme-digital)"), ("industry", "GB/T 4754 division code, two digits"),
    ("size", "large, medium, small or micro"), ("sub_zone", "a sub-zone of the zone"), ("period", "a quarter such as 2026Q3"),
    ("lang", "zh or en, for labels"))]


def _review_op(op_id: str, summary: str, aid: dict, body: dict | None = None, ok: str = "200") -> dict:
    out = {"operationId": op_id, "summary": summary, "parameters": [aid],
           "responses": {ok: _json("Review", "The review after the step"), "400": ERRORS["400"], "401": ERRORS["401"],
                         "403": _json("Error", "Not a step the token user's role may take; nothing changed"),
                         "404": ERRORS["404"],
                         "409": _json("Error", "The assessment is not in a state that allows this step; nothing changed"),
                         "422": _json("Error", "Invalid input; nothing changed")}}
    if body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return out


def review_paths(aid: dict) -> dict:
    """Review states: submitted -> verifying -> in_review -> returned | approved | rejected; returned -> in_review."""
    text = {"type": "object", "properties": {"text": {"type": "string", "maxLength": 2000}}}
    base = "/assessments/{assessment_id}"
    return {
        f"{base}/review": {"get": {"operationId": "getReview", "summary": "State, levels, verifications, evidence, history",
                                   "parameters": [aid], "responses": {"200": _json("Review", "The review"),
                                                                      "401": ERRORS["401"], "404": ERRORS["404"]}}},
        f"{base}/pledge": {"post": _review_op("signPledge", "The firm signs the truthfulness pledge", aid, {
            "type": "object", "required": ["pledge"], "properties": {"pledge": {"const": True}}})},
        f"{base}/verification": {"post": _review_op("startVerification", "The consultant starts on-site verification", aid)},
        base + "/verifications/{question_id}": {"put": {**_review_op(
            "verifyAnswer", "Confirm or correct one answer (a correction needs a reason)", aid, {
                "type": "object", "required": ["verdict"], "properties": {
                    "verdict": {"type": "string", "enum": ["confirmed", "corrected"]}, "value": {},
                    "reason": {"type": "string", "maxLength": 2000}}}),
            "parameters": [aid, {"name": "question_id", "in": "path", "required": True, "schema": {"type": "string"}}]}},
        f"{base}/send-for-review": {"post": _review_op("sendForReview", "Score the verified answers; to zone review", aid)},
        f"{base}/return": {"post": _review_op("returnAssessment", "Zone staff return it with comments", aid, {
            "type": "object", "properties": {"text": {"type": "string"}, "comments": {"type": "array", "items": {
                "type": "object", "required": ["question", "text"],
                "properties": {"question": {"type": "string"}, "text": {"type": "string"}}}}}})},
        f"{base}/replies": {"post": _review_op("replyToComment", "The consultant or firm answers a comment", aid, {
            "type": "object", "required": ["event", "text"],
            "properties": {"event": {"type": "integer"}, "text": {"type": "string"}}}, ok="201")},
        f"{base}/approve": {"post": _review_op("approveAssessment", "Zone staff approve", aid, text)},
        f"{base}/reject": {"post": _review_op("rejectAssessment", "Zone staff reject (a reason is required)", aid, text)},
        f"{base}/evidence": {"post": {
            "operationId": "uploadEvidence", "summary": "Attach a photo, PDF or office document to a question",
            "parameters": [aid], "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["question", "file"],
                "properties": {"question": {"type": "string"}, "file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": _json("Evidence", "Stored"), "401": ERRORS["401"], "403": ERRORS["403"],
                          "404": ERRORS["404"], "413": _json("Error", "Too large"),
                          "415": _json("Error", "Not a photo, PDF or office document (by content)"),
                          "422": _json("Error", "Unknown question or empty file")}}},
        base + "/evidence/{evidence_id}": {"get": {
            "operationId": "downloadEvidence", "summary": "The file, always as an attachment with nosniff",
            "parameters": [aid, _id_param("evidence_id")],
            "responses": {"200": {"description": "The file", "content": {"application/octet-stream": {
                "schema": {"type": "string", "format": "binary"}}}}, "401": ERRORS["401"], "404": ERRORS["404"]}}},
        f"{base}/reopen": {"post": {
            "operationId": "reopenAssessment", "summary": "A new revision (draft) linked to this one; the old result stays",
            "parameters": [aid], "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}}}},
            "responses": {"201": _json("Assessment", "The new revision"), "400": ERRORS["400"], "401": ERRORS["401"],
                          "403": ERRORS["403"], "404": ERRORS["404"], "409": _json("Error", "Not submitted"),
                          "422": _json("Error", "A reason is required")}}},
        f"{base}/notes": {"post": _review_op("addNote", "A note on one question (the firm or its consultant)", aid, {
            "type": "object", "required": ["question", "text"],
            "properties": {"question": {"type": "string"}, "text": {"type": "string", "maxLength": 2000}}}, ok="201")},
        f"{base}/rating": {"post": {
            "operationId": "rateService", "summary": "The firm rates the diagnosis service after approval (once)",
            "parameters": [aid], "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["stars"], "properties": {
                    "stars": {"type": "integer", "minimum": 1, "maximum": 5}, "comment": {"type": "string"}}}}}},
            "responses": {"201": {"description": "Stored", "content": {"application/json": {"schema": {
                "type": "object", "required": ["assessment_id", "stars"]}}}},
                "400": ERRORS["400"], "401": ERRORS["401"], "403": ERRORS["403"], "404": ERRORS["404"],
                "409": _json("Error", "Not approved yet, or already rated"), "422": _json("Error", "Stars not 1 to 5")}}},
        "/providers": {"get": {"operationId": "listProviders", "summary": "The zone's providers (staff) or one's own",
                               "responses": {"200": _json("ProviderList", "Providers"), "401": ERRORS["401"]}}},
    }


@lru_cache(maxsize=1)
def spec() -> dict:
    aid = _id_param("assessment_id")
    pid = _id_param("programme_id")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Digital-transformation diagnosis API", "version": "1.0.0",
                 "description": "Instruments, companies, assessments and results, scoped like the web app: "
                                "firms see their own, consultants their assigned firms, zone administrators their zone."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "A token made on the web app's API tokens page"}},
                       "schemas": SCHEMAS},
        "paths": {
            "/instruments": {"get": {"operationId": "listInstruments", "summary": "Instruments and their versions",
                                     "responses": {"200": _json("InstrumentList", "Instruments"), "401": ERRORS["401"]}}},
            "/instruments/{instrument_id}": {"get": {
                "operationId": "getInstrument", "summary": "One instrument's full definition",
                "parameters": [{"name": "instrument_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json("InstrumentDetail", "The definition"), "401": ERRORS["401"], "404": ERRORS["404"]}}},
            "/companies": {"get": {"operationId": "listCompanies", "summary": "Companies visible to the token's user",
                                   "parameters": [PAGE],
                                   "responses": {"200": _json("CompanyList", "A page of companies"), "400": ERRORS["400"], "401": ERRORS["401"]}}},
            "/companies/{company_id}": {"get": {"operationId": "getCompany", "parameters": [_id_param("company_id")],
                                                "responses": {"200": _json("Company", "The company"), "401": ERRORS["401"], "404": ERRORS["404"]}}},
            "/assessments": {
                "get": {"operationId": "listAssessments", "parameters": [
                    PAGE, {"name": "company_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["draft", "submitted"]}}],
                        "responses": {"200": _json("AssessmentList", "A page of assessments"), "400": ERRORS["400"], "401": ERRORS["401"]}},
                "post": {"operationId": "createAssessment", "summary": "Start a draft, or return the open draft",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewAssessment")}}},
                         "responses": {"201": _json("Assessment", "Created"), "200": _json("Assessment", "The open draft"),
                                       "400": ERRORS["400"], "401": ERRORS["401"], "403": ERRORS["403"], "404": ERRORS["404"],
                                       "422": _json("Error", "Unknown instrument or company")}}},
            "/assessments/{assessment_id}": {"get": {"operationId": "getAssessment", "parameters": [aid],
                                                     "responses": {"200": _json("Assessment", "The assessment with its answers"),
                                                                   "401": ERRORS["401"], "404": ERRORS["404"]}}},
            "/assessments/{assessment_id}/answers": {"patch": {
                "operationId": "saveAnswers", "summary": "Save answers; any invalid answer rejects the whole request",
                "parameters": [aid],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Answers")}}},
                "responses": {"200": _json("Assessment", "Saved"), "400": ERRORS["400"], "401": ERRORS["401"], "404": ERRORS["404"],
                              "409": _json("Error", "Submitted, read-only for this user, or changed since the versions in base"),
                              "422": _json("Error", "Invalid answers, listed in details; nothing saved")}}},
            "/assessments/{assessment_id}/submit": {"post": {
                "operationId": "submitAssessment", "parameters": [aid],
                "summary": "Submit a complete draft. A firm's user must accept the current truthfulness pledge "
                           "(signed with the submission; a refusal changes nothing); a consultant submitting "
                           "for the firm sends no pledge and the firm signs it afterwards (signPledge).",
                "requestBody": {"required": False, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "pledge": {"type": "boolean", "description": "true: the firm accepts the pledge"},
                        "pledge_version": {"type": "string",
                                           "description": "the pledge version shown to the user; refused (409) "
                                                          "when it is no longer the current one"}}}}}},
                "responses": {"200": _json("Result", "Scored and benchmarked"), "400": ERRORS["400"],
                              "401": ERRORS["401"], "404": ERRORS["404"],
                              "409": _json("Error", "Required questions unanswered, carried answers unconfirmed (code unconfirmed, "
                                                    "listed in details), not editable, or an outdated "
                                                    "pledge version (details name the current one)"),
                              "422": _json("Error", "A firm's submission without the pledge (details name the "
                                                    "current version); nothing changed")}}},
            "/assessments/{assessment_id}/result": {"get": {
                "operationId": "getResult", "parameters": [aid],
                "responses": {"200": _json("Result", "The result"), "401": ERRORS["401"], "404": ERRORS["404"]}}},
            "/assessments/{assessment_id}/report.pdf": {"get": {
                "operationId": "getReport", "parameters": [aid, {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["zh", "en"]}}],
                "responses": {"200": {"description": "The PDF report", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                              "400": ERRORS["400"], "401": ERRORS["401"], "404": ERRORS["404"]}}},
            **review_paths(aid),
            **plan_paths(),
            "/zone/aggregates": {"get": {
                "operationId": "getZoneAggregates", "summary": "The zone dashboard's figures (zone administrators)",
                "parameters": FILTERS,
                "responses": {"200": _json("ZoneAggregates", "Figures for the token user's zone"), "400": ERRORS["400"],
                              "401": ERRORS["401"], "403": ERRORS["403"]}}},
            "/programmes": {"get": {
                "operationId": "listProgrammes", "summary": "Programmes of the token user's area and the areas below it (staff)",
                "responses": {"200": _json("ProgrammeList", "Programmes"), "401": ERRORS["401"], "403": ERRORS["403"]}}},
            "/programmes/{programme_id}": {"get": {
                "operationId": "getProgramme", "summary": "A programme with its roster firms per status, overall and per sub-zone",
                "parameters": [pid],
                "responses": {"200": _json("ProgrammeStatus", "The programme"), "401": ERRORS["401"], "403": ERRORS["403"],
                              "404": ERRORS["404"]}}},
            "/programmes/{programme_id}/roster": {"get": {
                "operationId": "getRoster", "summary": "The roster, 100 firms a page, each with its status and dates",
                "parameters": [pid, PAGE, {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}}],
                "responses": {"200": _json("Roster", "Roster firms"), "400": ERRORS["400"], "401": ERRORS["401"],
                              "403": ERRORS["403"], "404": ERRORS["404"]}}},
            "/programmes/{programme_id}/targets": {"get": {
                "operationId": "getProgrammeTargets",
                "summary": "The programme's targets with current value, progress and projection (method as on the page)",
                "parameters": [pid],
                "responses": {"200": _json("TargetList", "Targets"), "401": ERRORS["401"], "403": ERRORS["403"],
                              "404": ERRORS["404"]}}},
            "/openapi.json": {"get": {"operationId": "getOpenApi", "security": [],
                                      "responses": {"200": {"description": "This document", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
    }
