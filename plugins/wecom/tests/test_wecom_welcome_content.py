"""Welcome content rules (spec §2.2.3, §4.2, acceptance check 9), variables and time segments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scrm_wecom.welcome.content import (
    ContentError,
    Recipient,
    preview,
    substitute,
    to_api,
    validate_content,
)
from scrm_wecom.welcome.segments import matching_segment, validate_segments

LINK = {"type": "link", "title": "Spring sale", "url": "https://shop.example.com/spring"}


def test_one_text_and_nine_attachments_are_accepted():
    content = validate_content({"text": "Hello", "attachments": [LINK] * 9})
    assert len(content["attachments"]) == 9


def test_a_tenth_attachment_is_rejected():
    with pytest.raises(ContentError) as exc:
        validate_content({"text": "Hello", "attachments": [LINK] * 10})
    assert "attachments" in exc.value.fields


def test_empty_text_without_attachments_is_rejected():
    with pytest.raises(ContentError) as exc:
        validate_content({"text": "   ", "attachments": []})
    assert "text" in exc.value.fields


def test_attachments_alone_are_enough():
    assert validate_content({"text": "", "attachments": [LINK]})["text"] == ""


@pytest.mark.parametrize(("attachment", "field"), [
    ({"type": "link", "url": "https://a.example.com"}, "att-0-title"),
    ({"type": "link", "title": "No URL"}, "att-0-url"),
    ({"type": "link", "title": "Bad URL", "url": "javascript:alert(1)"}, "att-0-url"),
    ({"type": "image"}, "att-0-media_id"),
    ({"type": "video"}, "att-0-media_id"),
    ({"type": "miniprogram", "appid": "wx0123456789abcdef", "page": "pages/index.html",
      "pic_media_id": "MEDIA"}, "att-0-title"),
    ({"type": "miniprogram", "title": "Shop", "appid": "not-an-appid", "page": "pages/index.html",
      "pic_media_id": "MEDIA"}, "att-0-appid"),
    ({"type": "miniprogram", "title": "Shop", "appid": "wx0123456789abcdef", "page": "pages/index",
      "pic_media_id": "MEDIA"}, "att-0-page"),
    ({"type": "miniprogram", "title": "Shop", "appid": "wx0123456789abcdef", "page": "pages/index.html"},
     "att-0-pic_media_id"),
    ({"type": "activity"}, "att-0-type"),
])
def test_each_attachment_type_needs_its_fields(attachment, field):
    with pytest.raises(ContentError) as exc:
        validate_content({"text": "Hi", "attachments": [attachment]})
    assert field in exc.value.fields


def test_valid_attachments_of_every_type_are_kept_with_their_fields_only():
    content = validate_content({"text": "Hi", "attachments": [
        {"type": "image", "pic_url": "https://cdn.example.com/a.png", "title": "ignored"},
        {"type": "video", "media_id": "VIDEO_MEDIA"},
        {"type": "miniprogram", "title": "Shop", "appid": "wx0123456789abcdef", "page": "pages/index.html",
         "pic_media_id": "COVER"},
        LINK]})
    assert content["attachments"][0] == {"type": "image", "pic_url": "https://cdn.example.com/a.png"}
    assert [a["type"] for a in content["attachments"]] == ["image", "video", "miniprogram", "link"]


def test_unknown_variables_are_rejected_and_known_ones_substituted():
    with pytest.raises(ContentError) as exc:
        validate_content({"text": "Hi {nickname}"})
    assert "{nickname}" in exc.value.fields["text"]
    text = "Hi {customer_name}, I am {employee_name}, your {employee_position}."
    validate_content({"text": text})
    assert substitute(text, Recipient("Zhang San", "Store manager", "Lily")) == \
        "Hi Lily, I am Zhang San, your Store manager."


def test_text_longer_than_4000_bytes_is_rejected():
    with pytest.raises(ContentError):
        validate_content({"text": "欢" * 1334})  # 4002 bytes in UTF-8
    validate_content({"text": "欢" * 1333})


def test_api_shape_of_the_content():
    content = validate_content({"text": "Hi {customer_name}", "attachments": [
        {"type": "image", "media_id": "IMG"}, LINK, {"type": "video", "url": "https://v.example.com/1.mp4"}]})
    text, attachments = to_api(content, Recipient(customer_name="Lily"))
    assert text == "Hi Lily"
    assert attachments[0] == {"msgtype": "image", "image": {"media_id": "IMG"}}
    assert attachments[1] == {"msgtype": "link", "link": {"title": "Spring sale", "url": LINK["url"]}}
    assert attachments[2]["msgtype"] == "link" and attachments[2]["link"]["url"] == "https://v.example.com/1.mp4"


def test_list_preview_counts_items():
    assert preview({"text": "Welcome to our store, we are glad you are here and more", "attachments": [LINK] * 2},
                   length=10) == (3, "Welcome to…")
    assert preview({"text": "", "attachments": [LINK]}) == (1, "Spring sale")


SEGMENTS = [
    {"weekdays": ["1", "2", "3", "4", "5"], "start": "09:00", "end": "18:00", "content": {"text": "Office hours"}},
    {"weekdays": ["6", "7"], "start": "00:00", "end": "23:59", "content": {"text": "Weekend"}},
]


def test_segments_match_in_asia_shanghai_time():
    segments = validate_segments(SEGMENTS)
    # Monday 2026-11-23 02:00 UTC is 10:00 in Shanghai: office hours
    assert matching_segment(segments, datetime(2026, 11, 23, 2, 0, tzinfo=UTC)) == 0
    # Monday 11:00 UTC is 19:00 in Shanghai: no segment
    assert matching_segment(segments, datetime(2026, 11, 23, 11, 0, tzinfo=UTC)) is None
    # Friday 20:00 UTC is Saturday 04:00 in Shanghai: weekend
    assert matching_segment(segments, datetime(2026, 11, 27, 20, 0, tzinfo=UTC)) == 1


@pytest.mark.parametrize(("segment", "field"), [
    ({"weekdays": [], "start": "09:00", "end": "10:00", "content": {"text": "x"}}, "seg-0-weekdays"),
    ({"weekdays": ["8"], "start": "09:00", "end": "10:00", "content": {"text": "x"}}, "seg-0-weekdays"),
    ({"weekdays": ["1"], "start": "25:00", "end": "10:00", "content": {"text": "x"}}, "seg-0-start"),
    ({"weekdays": ["1"], "start": "10:00", "end": "09:00", "content": {"text": "x"}}, "seg-0-end"),
    ({"weekdays": ["1"], "start": "09:00", "end": "10:00", "content": {"text": ""}}, "seg-0-text"),
])
def test_invalid_segments_are_rejected(segment, field):
    with pytest.raises(ContentError) as exc:
        validate_segments([segment])
    assert field in exc.value.fields


@pytest.mark.parametrize(("attachment", "field", "limit"), [
    ({**LINK, "title": "标" * 43}, "att-0-title", 128),
    ({**LINK, "desc": "述" * 171}, "att-0-desc", 512),
    ({"type": "miniprogram", "title": "标" * 22, "appid": "wx8bd80126147dfa00", "page": "pages/index.html",
      "pic_media_id": "M"}, "att-0-title", 64),
])
def test_titles_and_summaries_are_measured_in_bytes_as_wecom_does(attachment, field, limit):
    with pytest.raises(ContentError) as caught:
        validate_content({"text": "", "attachments": [attachment]})
    assert caught.value.fields[field] == f"At most {limit} bytes (a Chinese character takes 3)."
    shorter = {k: (v[:-1] if k == field[6:] else v) for k, v in attachment.items()}
    assert validate_content({"text": "", "attachments": [shorter]})["attachments"] == [shorter]


def test_segments_cover_the_whole_week_only_without_a_gap():
    from scrm_wecom.welcome.segments import covers_whole_week

    def seg(days, start, end):
        return {"weekdays": days, "start": start, "end": end, "content": {"text": "x"}}

    week = [1, 2, 3, 4, 5, 6, 7]
    assert covers_whole_week([seg(week, "00:00", "23:59")])
    assert covers_whole_week([seg(week, "12:00", "23:59"), seg(week, "00:00", "12:30")])
    assert not covers_whole_week([seg(week, "00:00", "12:00"), seg(week, "12:01", "23:59")])
    assert not covers_whole_week([seg(week[:6], "00:00", "23:59")])
    assert not covers_whole_week([seg(week, "00:00", "23:58")])
    late = datetime(2026, 11, 29, 15, 59, 59, tzinfo=UTC)  # Sunday 23:59:59 in Shanghai
    assert matching_segment([seg([7], "20:00", "23:59")], late) == 0


def test_materials_and_earlier_typed_attachments_count_together_up_to_nine():
    ok = validate_content({"text": "Hi", "attachments": [LINK] * 4, "material_ids": [1, 2, 3, 4, 5]},
                          offered={1, 2, 3, 4, 5}, kept=[LINK])
    assert ok["material_ids"] == [1, 2, 3, 4, 5] and len(ok["attachments"]) == 4
    with pytest.raises(ContentError) as exc:
        validate_content({"text": "Hi", "attachments": [LINK] * 4, "material_ids": [1, 2, 3, 4, 5, 6]},
                         offered={1, 2, 3, 4, 5, 6}, kept=[LINK])
    assert "attachments" in exc.value.fields


def test_materials_alone_are_enough_and_repeats_count_once():
    assert validate_content({"text": "", "material_ids": ["7", "7", 3]}, offered={3, 7}) == {
        "text": "", "attachments": [], "material_ids": [7, 3]}


def test_a_material_not_offered_is_rejected():
    with pytest.raises(ContentError) as exc:
        validate_content({"text": "Hi", "material_ids": [8]}, offered={7})
    assert "material_ids" in exc.value.fields


def test_a_typed_attachment_is_accepted_only_when_kept_from_before():
    with pytest.raises(ContentError) as exc:
        validate_content({"text": "Hi", "attachments": [LINK]}, offered=set(), kept=[])
    assert "material_ids" in exc.value.fields
    assert validate_content({"text": "Hi", "attachments": [LINK]}, offered=set(), kept=[LINK])["attachments"]
