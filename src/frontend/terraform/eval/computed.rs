//! Computed attributes: what a resource's object value holds beyond its arguments (ids and
//! ARNs built from known names, the JSON of `aws_iam_policy_document`).

#[allow(clippy::wildcard_imports, reason = "the evaluator's own types")]
use super::*;

impl Instance {
    /// A resource's object value: its attributes plus the computed attributes trailcheck
    /// knows how to derive (ids and ARNs built from known names).
    pub(super) fn computed(&self, rtype: &str, key: &str, body: &EvBody, region: &V) -> V {
        let mut v = body.to_value();
        let V::Map(m) = &mut v else { return v };
        let unknown = UNKNOWN_MARK.to_string();
        let region_s = match region {
            V::Str(s) => s.clone(),
            _ => unknown.clone(),
        };
        let partition = match region {
            V::Str(s) => crate::model::Region::new(s.clone()).partition().to_owned(),
            _ => unknown.clone(),
        };
        let get = |m: &BTreeMap<String, V>, k: &str| m.get(k).and_then(V::to_str);
        let name = get(m, "name");
        let set = |m: &mut BTreeMap<String, V>, k: &str, val: Option<String>| {
            m.entry(k.to_owned())
                .or_insert(val.map_or(V::Unknown, V::Str));
        };
        match rtype {
            "aws_s3_bucket" => {
                let b = get(m, "bucket")
                    .or_else(|| get(m, "bucket_prefix").map(|p| format!("{p}{unknown}")));
                set(m, "id", b.clone());
                set(m, "bucket", b.clone());
                set(m, "arn", b.map(|b| format!("arn:{partition}:s3:::{b}")));
            }
            "aws_cloudwatch_log_group" => {
                set(m, "id", name.clone());
                set(
                    m,
                    "arn",
                    name.map(|n| {
                        format!("arn:{partition}:logs:{region_s}:{unknown}:log-group:{n}")
                    }),
                );
            }
            "aws_iam_role" | "aws_iam_policy" => {
                let kind = if rtype == "aws_iam_role" {
                    "role"
                } else {
                    "policy"
                };
                let path = get(m, "path").unwrap_or_else(|| "/".into());
                set(m, "id", name.clone());
                set(
                    m,
                    "arn",
                    name.map(|n| format!("arn:{partition}:iam::{unknown}:{kind}{path}{n}")),
                );
            }
            "aws_kms_key" => {
                set(m, "key_id", Some(unknown.clone()));
                set(m, "id", Some(unknown.clone()));
                set(
                    m,
                    "arn",
                    Some(format!(
                        "arn:{partition}:kms:{region_s}:{unknown}:key/{unknown}"
                    )),
                );
            }
            "aws_kms_alias" => {
                set(m, "id", name.clone());
                set(
                    m,
                    "arn",
                    name.map(|n| format!("arn:{partition}:kms:{region_s}:{unknown}:{n}")),
                );
            }
            "aws_sns_topic" => {
                let arn = name.map(|n| format!("arn:{partition}:sns:{region_s}:{unknown}:{n}"));
                set(m, "id", arn.clone());
                set(m, "arn", arn);
            }
            "aws_cloudtrail" => {
                set(m, "id", name.clone());
                set(
                    m,
                    "arn",
                    name.map(|n| {
                        format!("arn:{partition}:cloudtrail:{region_s}:{unknown}:trail/{n}")
                    }),
                );
                set(m, "home_region", Some(region_s));
            }
            "data.aws_iam_policy_document" => {
                m.insert("json".into(), policy_document_json(body));
            }
            "data.aws_region" => {
                m.insert("name".into(), region.clone());
                m.insert("id".into(), region.clone());
            }
            "data.aws_partition" => {
                m.insert(
                    "partition".into(),
                    if partition == unknown {
                        V::Unknown
                    } else {
                        V::Str(partition)
                    },
                );
            }
            _ => {}
        }
        let _ = key;
        v
    }
}

/// The JSON of a `data "aws_iam_policy_document"`, from its `statement` blocks (and
/// `source_policy_documents`/`override_policy_documents` when they are known).
fn policy_document_json(body: &EvBody) -> V {
    let mut statements = Vec::new();
    for src in ["source_policy_documents", "source_json"] {
        if let Some((v, _)) = body.attr(src) {
            let docs = match v {
                V::List(l) => l.clone(),
                other => vec![other.clone()],
            };
            for d in docs {
                match d.to_str().filter(|s| !s.contains(UNKNOWN_MARK)) {
                    Some(s) => {
                        if let Ok(j) = serde_json::from_str::<serde_json::Value>(&s) {
                            if let Some(serde_json::Value::Array(a)) = j.get("Statement") {
                                statements.extend(a.iter().map(V::from_json));
                            }
                        }
                    }
                    None => return V::Unknown,
                }
            }
        }
    }
    for s in body.blocks("statement") {
        let mut st = BTreeMap::new();
        let attr = |k: &str| s.attr(k).map(|(v, _)| v.clone());
        if let Some(v) = attr("sid") {
            st.insert("Sid".into(), v);
        }
        st.insert(
            "Effect".into(),
            attr("effect").unwrap_or(V::Str("Allow".into())),
        );
        for (tf, json) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if let Some(v) = attr(tf) {
                st.insert(json.into(), v);
            }
        }
        for (block, json) in [
            ("principals", "Principal"),
            ("not_principals", "NotPrincipal"),
        ] {
            let mut p: BTreeMap<String, V> = BTreeMap::new();
            let mut any = false;
            for pb in s.blocks(block) {
                let t = pb
                    .attr("type")
                    .and_then(|(v, _)| v.to_str())
                    .unwrap_or_default();
                let ids = pb
                    .attr("identifiers")
                    .map_or(V::Unknown, |(v, _)| v.clone());
                if t == "*" {
                    st.insert(json.into(), V::Str("*".into()));
                    any = true;
                    continue;
                }
                match p.get_mut(&t) {
                    Some(V::List(l)) => {
                        if let V::List(more) = ids {
                            l.extend(more);
                        }
                    }
                    _ => {
                        p.insert(t, ids);
                    }
                }
            }
            if !p.is_empty() && !any {
                st.insert(json.into(), V::Map(p));
            }
        }
        let mut cond: BTreeMap<String, V> = BTreeMap::new();
        for c in s.blocks("condition") {
            let test = c
                .attr("test")
                .and_then(|(v, _)| v.to_str())
                .unwrap_or_default();
            let var = c
                .attr("variable")
                .and_then(|(v, _)| v.to_str())
                .unwrap_or_default();
            let vals = c.attr("values").map_or(V::Unknown, |(v, _)| v.clone());
            if let V::Map(m) = cond.entry(test).or_insert_with(|| V::Map(BTreeMap::new())) {
                m.insert(var, vals);
            }
        }
        if !cond.is_empty() {
            st.insert("Condition".into(), V::Map(cond));
        }
        statements.push(V::Map(st));
    }
    if body.unknown_blocks.iter().any(|b| b == "statement") {
        statements.push(V::Unknown);
    }
    let doc = V::Map(BTreeMap::from([
        ("Version".into(), V::Str("2012-10-17".into())),
        ("Statement".into(), V::List(statements)),
    ]));
    serde_json::to_string(&doc.to_json()).map_or(V::Unknown, V::Str)
}
