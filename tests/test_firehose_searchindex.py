"""The lab's stand-in search index (labsim.firehose.searchindex): dynamic mapping and the query subset."""

from __future__ import annotations

import pytest

from labsim.firehose.searchindex import Rejected, SearchCluster


@pytest.fixture
def cluster():
    c = SearchCluster("logs", "OpenSearch_2.11")
    c.index("web", "1", {"status": 200, "path": "/home", "user": {"name": "Ana"}, "tags": ["a", "b"]})
    c.index("web", "2", {"status": "500", "path": "/pay", "user": {"name": "Bob"}})  # coerced into the long field
    c.index("api", "3", {"status": 404, "latency": 1.5})
    return c


def test_dynamic_mapping_fixes_types_and_rejects_conflicts(cluster):
    assert cluster.mapping("web") == {"status": "long", "path": "text", "user": "object", "user.name": "text", "tags": "text"}
    with pytest.raises(Rejected) as err:
        cluster.index("web", "9", {"status": "five hundred"})
    assert err.value.error_type == "mapper_parsing_exception" and "[status] of type [long]" in err.value.reason
    with pytest.raises(Rejected, match="object"):
        cluster.index("web", "9", {"user": "just a string"})
    with pytest.raises(Rejected, match="JSON object"):
        cluster.index("web", "9", ["not", "an", "object"])
    assert cluster.indices() == {"api": 1, "web": 2}  # nothing half-indexed


def test_queries(cluster):
    assert cluster.count("web", {"term": {"status": 500}}) == {"count": 1}  # "500" was coerced
    assert cluster.count("*", {"range": {"status": {"gte": 400, "lt": 500}}}) == {"count": 1}
    assert cluster.count("*", {"range": {"status": {"gte": 400}}}) == {"count": 2}
    assert cluster.count("web", {"match": {"user.name": "ana bob"}}) == {"count": 2}
    assert cluster.count("web,api", {"exists": {"field": "latency"}}) == {"count": 1}
    assert cluster.count("w*", {"terms": {"path": ["/pay", "/nope"]}}) == {"count": 1}
    assert cluster.count("web", {"term": {"tags": "b"}}) == {"count": 1}
    assert cluster.count("*", {"bool": {"should": [{"term": {"status": 200}}, {"term": {"status": 404}}]}}) == {"count": 2}
    assert cluster.count("*", {"bool": {"filter": {"match_all": {}}, "must_not": {"exists": {"field": "path"}}}}) == {"count": 1}
    result = cluster.search("api")
    assert result["hits"]["hits"][0]["_source"]["latency"] == 1.5 and result["hits"]["total"]["relation"] == "eq"
    assert cluster.get("web", "nope") == {"_index": "web", "_id": "nope", "found": False}


def test_bad_queries_say_what_to_write(cluster):
    with pytest.raises(ValueError, match="exactly one clause"):
        cluster.search("web", {"term": {"a": 1}, "match": {"b": 2}})
    with pytest.raises(ValueError, match="takes one field"):
        cluster.search("web", {"term": {"a": 1, "b": 2}})
