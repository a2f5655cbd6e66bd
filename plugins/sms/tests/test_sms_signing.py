"""The two vendors' request signatures against every worked example of the protocol notes (protocols §6.1, §6.4)."""

from __future__ import annotations

import hashlib

from scrm_sms.providers import aliyun, tencent
from scrm_sms.providers.aliyun import rpc_signature
from scrm_sms.providers.tencent import tc3_authorization

# -- Aliyun RPC V1 (HMAC-SHA1), the SendSms example of help.aliyun.com/document_detail/56189 --------------------------

ALIYUN_PARAMS = {
    "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25"}
ALIYUN_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001"
    "%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF"
    "%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1"
    "%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007"
    "%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z"
    "%26Version%3D2017-05-25")
ALIYUN_URL = (
    "http://dysmsapi.aliyuncs.com/?Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D&AccessKeyId=testId&Action=SendSms"
    "&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F"
    "%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1"
    "&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0&TemplateCode=SMS_71390007"
    "&TemplateParam=%7B%22customer%22%3A%22test%22%7D&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25")


def test_the_aliyun_string_to_sign_is_the_documented_one():
    assert aliyun.string_to_sign(ALIYUN_PARAMS, "GET") == ALIYUN_STRING_TO_SIGN


def test_the_aliyun_signature_of_the_documented_send_sms():
    assert rpc_signature(ALIYUN_PARAMS, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert rpc_signature(ALIYUN_PARAMS, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_the_lower_case_test_keys_give_the_known_wrong_signature():
    """The trap: ``testid`` / ``testsecret`` sign to a different value than the documented one."""
    trap = {**ALIYUN_PARAMS, "AccessKeyId": "testid"}
    assert rpc_signature(trap, "testsecret") == "LxugEBqtL8lacmz/6I2QOoMzw+Y="
    assert rpc_signature(ALIYUN_PARAMS, "testsecret") != "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_the_signature_parameter_itself_is_not_signed_and_the_value_is_not_url_encoded():
    signed = {**ALIYUN_PARAMS, "Signature": "anything"}
    signature = rpc_signature(signed, "testSecret")
    assert signature == "zJDF+Lrzhj/ThnlvIToysFRq6t4=" and "%" not in signature


def test_the_documented_url_carries_the_url_encoded_signature():
    query = "&".join(f"{aliyun.percent_encode(k)}={aliyun.percent_encode(v)}" for k, v in ALIYUN_PARAMS.items())
    url = (f"http://dysmsapi.aliyuncs.com/?Signature={aliyun.percent_encode(rpc_signature(ALIYUN_PARAMS, 'testSecret'))}"
           f"&{query}")
    assert url == ALIYUN_URL


def test_the_method_is_part_of_what_is_signed():
    assert rpc_signature(ALIYUN_PARAMS, "testSecret", "POST") != rpc_signature(ALIYUN_PARAMS, "testSecret", "GET")
    assert aliyun.string_to_sign(ALIYUN_PARAMS, "post").startswith("POST&%2F&")


def test_percent_encoding_follows_rfc3986():
    assert aliyun.percent_encode("a b*c~d/é") == "a%20b%2Ac~d%2F%C3%A9"


# -- Tencent TC3-HMAC-SHA256, the CVM DescribeInstances example (cloud.tencent.com/document/api/213/30654) -----------

CVM_PAYLOAD = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
CVM_SECRET_ID, CVM_SECRET_KEY = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
CVM_HOST, CVM_TIMESTAMP = "cvm.tencentcloudapi.com", 1551113065


def test_the_payload_is_the_documented_one_with_literal_escapes():
    assert "\\u672a" in CVM_PAYLOAD and hashlib.sha256(CVM_PAYLOAD.encode()).hexdigest() == (
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")


def test_the_canonical_request_and_its_hash():
    canonical = tencent.canonical_request(CVM_HOST, CVM_PAYLOAD)
    assert canonical == ("POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
                         "content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")


def test_the_date_is_the_utc_date_of_the_timestamp():
    assert tencent.utc_date(CVM_TIMESTAMP) == "2019-02-25"  # 2019-02-26 in Beijing
    assert tencent.string_to_sign("cvm", CVM_HOST, CVM_PAYLOAD, CVM_TIMESTAMP) == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")


def test_the_tc3_signature_and_authorization_of_the_documented_request():
    assert tencent.tc3_signature(CVM_SECRET_KEY, "cvm", CVM_HOST, CVM_PAYLOAD, CVM_TIMESTAMP) == (
        "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")
    assert tc3_authorization(CVM_SECRET_ID, CVM_SECRET_KEY, "cvm", CVM_HOST, CVM_PAYLOAD, CVM_TIMESTAMP) == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")


def test_the_signed_content_type_must_be_the_one_sent():
    default = tc3_authorization(CVM_SECRET_ID, CVM_SECRET_KEY, "cvm", CVM_HOST, CVM_PAYLOAD, CVM_TIMESTAMP)
    bare = tc3_authorization(CVM_SECRET_ID, CVM_SECRET_KEY, "cvm", CVM_HOST, CVM_PAYLOAD, CVM_TIMESTAMP,
                             content_type="application/json")
    assert default != bare


def test_a_timestamp_late_in_the_utc_day_signs_under_that_day():
    late = 1551139199  # 2019-02-25T23:59:59Z, already the 26th in Beijing
    assert f"/{tencent.utc_date(late)}/" in tc3_authorization("id", "key", "sms", "sms.tencentcloudapi.com", "{}", late)
    assert tencent.utc_date(late + 1) == "2019-02-26"
