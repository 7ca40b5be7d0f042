"""labsim.agent's dataProcessingOptions give byte for byte what the Java agent's converters give.

The vectors are those of the agent's own tests (tst/.../processing/processors/DataConverterTest.java
at aa0d9089), plus outputs worked out from the converters' source for the Java quirks.
"""

from __future__ import annotations

import pytest

from labsim.agent import AgentConfigError, ConverterChain
from labsim.agent.converters import jackson_pretty, java_split
import re


def convert(option: dict, data: bytes) -> bytes | None:
    return ConverterChain.from_options([option]).convert(data)


def test_brackets_are_curly_and_keep_the_newline():
    assert convert({"optionName": "ADDBRACKETS"}, b"hello there!! :)") == b"{hello there!! :)}"
    assert convert({"optionName": "ADDBRACKETS"}, b"x\n") == b"{x\n}"


def test_singleline_escape_new_line_joins_with_backslash_backslash_n():
    data = (b'{\n   "a": {\n           "b": 1,\n           "c": null,\n           "d": true\n    },\n'
            b'   "e": "f",\n   "g": 2\n     }\n')
    expected = b'{\\\\n"a": {\\\\n"b": 1,\\\\n"c": null,\\\\n"d": true\\\\n},\\\\n"e": "f",\\\\n"g": 2\\\\n}\n'
    assert convert({"optionName": "SINGLELINE", "parseOptions": ["ESCAPE_NEW_LINE"]}, data) == expected


def test_singleline_trims_unless_no_trim():
    assert convert({"optionName": "SINGLELINE"}, b"Exception: boom\n    at a.b(C.java:1)\n") == b"Exception: boomat a.b(C.java:1)\n"
    assert convert({"optionName": "SINGLELINE", "parseOptions": ["NO_TRIM"]}, b"a\n  b\n") == b"a  b\n"


def test_csv_to_json_java_vectors():
    opt = {"optionName": "CSVTOJSON", "customFieldNames": ["column1", "column2", "column3", "column4"]}
    assert convert(opt, b"value1, value2,valu\ne3,    value4\n") == (
        b'{"column1":"value1","column2":" value2","column3":"valu\\ne3","column4":"    value4"}\n')
    assert convert(opt, b"value1, value2,value3\n") == (
        b'{"column1":"value1","column2":" value2","column3":"value3","column4":null}\n')
    assert convert(opt, b"value1,value2,value3,value4,value5\n") == (
        b'{"column1":"value1","column2":"value2","column3":"value3","column4":"value4"}\n')
    tsv = dict(opt, delimiter="\\t")
    assert convert(tsv, b"value1\t value2\tvalue3\t    value4\n") == (
        b'{"column1":"value1","column2":" value2","column3":"value3","column4":"    value4"}\n')


def test_csv_quirks_of_java_split():
    opt = {"optionName": "CSVTOJSON", "customFieldNames": ["a", "b", "c"]}
    # trailing empty fields vanish (String.split), so "c" is null, not ""; a middle empty field stays ""
    assert convert(opt, b"1,,\n") == b'{"a":"1","b":null,"c":null}\n'
    assert convert(opt, b"1,,3\n") == b'{"a":"1","b":"","c":"3"}\n'
    # no quote handling: a quoted comma splits
    assert convert(opt, b'"x,y",z\n') == b'{"a":"\\"x","b":"y\\"","c":"z"}\n'
    # the delimiter is a regex: "|" alone would split between every character
    assert convert(dict(opt, delimiter="\\|"), b"p|q|r\n") == b'{"a":"p","b":"q","c":"r"}\n'
    assert java_split("", re.compile(",")) == [""]


def test_json_escapes_like_jackson():
    opt = {"optionName": "CSVTOJSON", "customFieldNames": ["a"]}
    assert convert(opt, "tab\there \x01 é\n".encode()) == '{"a":"tab\\there \\u0001 é"}\n'.encode()


COMBINED = ('123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450 "-" '
            '"Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)"')


def test_logtojson_apache_java_vectors():
    combined = {"optionName": "LOGTOJSON", "logFormat": "COMBINEDAPACHELOG"}
    assert convert(combined, (COMBINED + ' "ANY_RANDOM_DATA"').encode()) == (
        b'{"host":"123.45.67.89","ident":null,"authuser":null,"datetime":"27/Oct/2000:09:27:09 -0400",'
        b'"request":"GET /java/javaResources.html HTTP/1.0","response":"200","bytes":"10450","referer":null,'
        b'"agent":"Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)"}\n')
    common = {"optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG"}
    expected = (b'{"host":"123.45.67.89","ident":null,"authuser":null,"datetime":"27/Oct/2000:09:27:09 -0400",'
                b'"request":"GET /java/javaResources.html HTTP/1.0","response":"200","bytes":"10450"}\n')
    assert convert(common, COMBINED.encode()) == expected
    assert convert(common, COMBINED.encode()[:COMBINED.index(' "-"')]) == expected
    host = convert(common, b'lj1036.inktomisearch.com - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450')
    assert host.startswith(b'{"host":"lj1036.inktomisearch.com","ident":null')
    # a line that does not match is dropped (the converter returns null)
    assert convert(common, b'123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200') is None


def test_logtojson_error_log_and_syslog_java_vectors():
    err = {"optionName": "LOGTOJSON", "logFormat": "APACHEERRORLOG"}
    assert convert(err, b"[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] "
                        b"File does not exist: /usr/local/apache2/htdocs/favicon.ico") == (
        b'{"timestamp":"Fri Sep 09 10:42:29.902022 2011","module":"core","severity":"error","processid":"35708",'
        b'"threadid":"4328636416","client":"72.15.99.187","message":"File does not exist: /usr/local/apache2/htdocs/favicon.ico"}\n')
    assert convert(err, b"[Fri Sep 09 10:42:29 2011] [error] [pid 35708] [client 72.15.99.187:12345] x") == (
        b'{"timestamp":"Fri Sep 09 10:42:29 2011","module":null,"severity":"error","processid":"35708",'
        b'"threadid":null,"client":"72.15.99.187:12345","message":"x"}\n')
    syslog = {"optionName": "LOGTOJSON", "logFormat": "SYSLOG"}
    assert convert(syslog, b"Mar 12 12:00:08 server2 rcd[308]: Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds) ") == (
        b'{"timestamp":"Mar 12 12:00:08","hostname":"server2","program":"rcd","processid":"308",'
        b'"message":"Loaded 12 packages in \'ximian-red-carpet|351\' (0.01878 seconds) "}\n')
    assert convert(syslog, b"Mar 12 12:01:02 server4 snort: Ports to decode telnet on: 21 23 25 119\n") == (
        b'{"timestamp":"Mar 12 12:01:02","hostname":"server4","program":"snort","processid":null,'
        b'"message":"Ports to decode telnet on: 21 23 25 119"}\n')
    rfc = {"optionName": "LOGTOJSON", "logFormat": "RFC3339SYSLOG"}
    assert convert(rfc, b"2026-01-01T00:00:05.123Z web1 nginx[12]: up\n") == (
        b'{"timestamp":"2026-01-01T00:00:05.123Z","hostname":"web1","program":"nginx","processid":"12","message":"up"}\n')


def test_logtojson_custom_fields_and_pattern():
    line = b'123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200'
    opt = {"optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG",
           "matchPattern": "^([\\d.]+) (\\S+) (\\S+) \\[([\\w:/]+\\s[+\\-]\\d{4})\\] \"(.+?)\" (\\d{3})",
           "customFieldNames": ["column1", "column2", "column3", "column4", "column5", "column6"]}
    assert convert(opt, line) == (b'{"column1":"123.45.67.89","column2":null,"column3":null,"column4":"27/Oct/2000:09:27:09 -0400",'
                                  b'"column5":"GET /java/javaResources.html HTTP/1.0","column6":"200"}\n')
    renamed = {"optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG", "customFieldNames": [f"c{i}" for i in range(7)]}
    assert convert(renamed, line + b" 10450").startswith(b'{"c0":"123.45.67.89","c1":null')
    with pytest.raises(AgentConfigError, match="7 fields"):
        ConverterChain.from_options([dict(renamed, customFieldNames=["a"])])
    with pytest.raises(AgentConfigError, match="customFieldNames must be specified"):
        ConverterChain.from_options([{"optionName": "LOGTOJSON", "logFormat": "SYSLOG", "matchPattern": "(.*)"}])


def test_add_metadata_and_pretty_print():
    opt = {"optionName": "ADDMETADATA", "metadata": {"foo": {"bar": "bas"}, "key": "value"}}
    assert convert(opt, b"This is the data") == b'{"metadata":{"foo":{"bar":"bas"},"key":"value"},"data":"This is the data"}\n'
    chain = ConverterChain.from_options([dict(opt, timestamp="true")], now=lambda: 1767225600.5)
    assert chain.convert(b"x\n").startswith(b'{"ts":"2026-01-01T00:00:00.500Z","metadata"')
    assert jackson_pretty({"a": "1", "b": None, "c": {}}) == '{\n  "a" : "1",\n  "b" : null,\n  "c" : { }\n}'
    with pytest.raises(AgentConfigError, match='"true" or "false"'):
        ConverterChain.from_options([dict(opt, timestamp=True)])


def test_ec2_metadata_merges_into_json_and_falls_back_to_raw():
    chain = ConverterChain.from_options([{"optionName": "ADDEC2METADATA"}], ec2_identity={"instanceId": "i-1", "region": "r"})
    assert chain.convert(b'{"a":1,"region":"x"}\n') == b'{"a":1,"region":"r","instanceId":"i-1"}\n'
    assert chain.convert(b"not json\n") == b"not json\n"   # the converter throws: the raw record is sent
    assert chain.errors == 1


def test_chain_applies_in_order_and_stops_on_a_dropped_record():
    chain = ConverterChain.from_options([{"optionName": "LOGTOJSON", "logFormat": "SYSLOG"}, {"optionName": "ADDBRACKETS"}])
    assert chain.convert(b"Mar 12 12:01:02 h p: m\n") == b'{{"timestamp":"Mar 12 12:01:02","hostname":"h","program":"p","processid":null,"message":"m"}\n}'
    assert chain.convert(b"garbage\n") is None


@pytest.mark.parametrize("option, message", [
    ({"optionName": "CSV2JSON"}, "not one of ADDMETADATA"),
    ({"optionName": "LOGTOJSON", "logFormat": "RFC5424SYSLOG"}, "not one of COMMONAPACHELOG"),
    ({"optionName": "CSVTOJSON"}, "needs 'customFieldNames'"),
    ({"optionName": "CSVTOJSON", "customFieldNames": ["a"], "jsonFormat": "PRETTY"}, "COMPACT, PRETTYPRINT"),
    ({"optionName": "SINGLELINE", "parseOptions": ["TRIM"]}, "NO_TRIM, ESCAPE_NEW_LINE"),
])
def test_bad_options_name_the_key_and_the_allowed_values(option, message):
    with pytest.raises(AgentConfigError, match=message):
        ConverterChain.from_options([option])
