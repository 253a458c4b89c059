"""List GETs of ConnectWise: conditions, orderBy, fields, navigable and forward-only paging."""

from urllib.parse import urlencode

from emulator import cw_conditions

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000


class ListError(ValueError):
    """A bad list parameter; the message names it."""


def _single(query, name):
    for key, values in query.items():
        if key.lower() == name.lower() and values:
            return values[-1]
    return None


def _int_param(query, name, default, minimum):
    raw = _single(query, name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ListError("The %s parameter must be an integer." % name)
    if value < minimum:
        raise ListError("The %s parameter must be at least %d." % (name, minimum))
    return value


def filter_records(records, query):
    """Apply ``conditions`` to rendered records (raises ConditionError)."""
    text = _single(query, "conditions")
    if text is None or not text.strip():
        return list(records)
    node = cw_conditions.parse(text)
    if records:
        cw_conditions.check_fields(node, records[0].keys())
    return [record for record in records if cw_conditions.evaluate(node, record)]


def _sort_key(value):
    # None sorts first, like NULL in SQL Server; strings case-insensitively.
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.casefold())
    if isinstance(value, bool):
        return (2, int(value))
    if isinstance(value, (int, float)):
        return (2, value)
    return (3, str(value))


def order_records(records, query):
    text = _single(query, "orderBy")
    if not text or not text.strip():
        return sorted(records, key=lambda r: _sort_key(r.get("id")))
    keys = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ListError("The orderBy parameter is invalid: %r." % part.strip())
        keys.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    result = list(records)
    # Stable sorts applied from the last key to the first give a multi-key order.
    for field, descending in reversed(keys):
        result.sort(key=lambda r, f=field: _sort_key(_get_path(r, f)), reverse=descending)
    return result


def _get_path(record, path):
    value = record
    for part in path.split("/"):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    return value


def select_fields(record, query):
    """Keep only the ``fields`` asked for (comma separated, nested with ``/``)."""
    text = _single(query, "fields")
    if not text or not text.strip():
        return record
    result = {}
    for path in (p.strip() for p in text.split(",")):
        if not path:
            continue
        source, target = record, result
        parts = path.split("/")
        for depth, part in enumerate(parts):
            if not isinstance(source, dict):
                break
            key = next((k for k in source if k.lower() == part.lower()), None)
            if key is None:
                break
            if depth == len(parts) - 1 or not isinstance(source[key], dict):
                target[key] = source[key]
                break
            target = target.setdefault(key, {})
            source = source[key]
    return result


def _link(base_url, query, **changes):
    params = [(k, v[-1]) for k, v in query.items() if k.lower() not in {c.lower() for c in changes} and v]
    params += [(k, str(v)) for k, v in changes.items()]
    return "%s?%s" % (base_url, urlencode(params))


def paginate(records, query, headers, base_url):
    """Return ``(page_records, link_header_or_None)``; records are already filtered and ordered."""
    page_size = min(_int_param(query, "pageSize", DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE)
    forward_only = (headers.get("pagination-type") or "").strip().lower() == "forward-only"
    if forward_only:
        # Forward-only paging walks by id: pageId is the last id of the previous page.
        after = _int_param(query, "pageId", 0, 0)
        ordered = sorted(records, key=lambda r: r.get("id") or 0)
        remaining = [r for r in ordered if (r.get("id") or 0) > after]
        page = remaining[:page_size]
        link = None
        if len(remaining) > page_size:
            link = '<%s>; rel="next"' % _link(base_url, query, pageSize=page_size, pageId=page[-1]["id"])
        return page, link
    page_number = _int_param(query, "page", 1, 1)
    total = len(records)
    last_page = max(1, (total + page_size - 1) // page_size)
    start = (page_number - 1) * page_size
    page = records[start:start + page_size]
    links = []
    if page_number > 1:
        links.append('<%s>; rel="first"' % _link(base_url, query, pageSize=page_size, page=1))
        previous_page = min(page_number - 1, last_page)
        links.append('<%s>; rel="prev"' % _link(base_url, query, pageSize=page_size, page=previous_page))
    if page_number < last_page:
        links.append('<%s>; rel="next"' % _link(base_url, query, pageSize=page_size, page=page_number + 1))
        links.append('<%s>; rel="last"' % _link(base_url, query, pageSize=page_size, page=last_page))
    return page, (", ".join(links) or None)
