//! Root module inputs: variable defaults, tfvars files and `-var` values.

#[allow(clippy::wildcard_imports, reason = "the evaluator's own types")]
use super::*;

/// Root module variables: defaults, then `terraform.tfvars`, `terraform.tfvars.json`,
/// `*.auto.tfvars` and `*.auto.tfvars.json` (in lexical order of their names), the
/// `--var-file`s and the `--var`s, later ones winning, as Terraform does.
pub(crate) fn root_variables(
    module: &Module,
    loader: &Loader<'_>,
    var_files: &[PathBuf],
    vars: &[(String, String)],
    errors: &mut Vec<crate::model::InputError>,
) -> HashMap<String, V> {
    let dummy = Instance::new(
        String::new(),
        std::sync::Arc::new(Module::new(module.dir.clone(), Vec::new(), Vec::new())),
        module.dir.clone(),
        Vec::new(),
        MAX_MODULE_DEPTH,
        HashMap::new(),
        HashMap::new(),
        false,
    );
    let mut values: HashMap<String, V> = HashMap::new();
    for (name, &loc) in &module.index.variables {
        let file = module.file(loc).map_or(SourceId(0), |f| f.id);
        let ev = Ev {
            inst: &dummy,
            loader,
            file,
            vars: Vec::new(),
        };
        let v = module
            .block(loc)
            .and_then(|b| b.body.get_attribute("default"))
            .map_or(V::Unknown, |a| ev.eval_const(&a.value));
        values.insert(name.clone(), v);
    }
    let mut files: Vec<PathBuf> = ["terraform.tfvars", "terraform.tfvars.json"]
        .iter()
        .map(|n| module.dir.join(n))
        .filter(|p| p.is_file())
        .collect();
    let mut auto: Vec<PathBuf> = std::fs::read_dir(&module.dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.to_string_lossy();
                    (name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json"))
                        && p.is_file()
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    files.extend(auto);
    files.extend(var_files.iter().cloned());
    for f in files {
        let (source, err) = loader.read(&f);
        if let Some(e) = err {
            errors.push(e);
            continue;
        }
        if f.to_string_lossy().ends_with(".json") {
            match json_variables(&source) {
                Ok(vars) => values.extend(vars),
                Err(e) => errors.push(e),
            }
            continue;
        }
        match super::super::modules::parse_file(&source) {
            Ok(body) => {
                let ev = Ev {
                    inst: &dummy,
                    loader,
                    file: source.id,
                    vars: Vec::new(),
                };
                for a in body.attributes() {
                    values.insert(a.key.as_str().to_owned(), ev.eval_const(&a.value));
                }
            }
            Err(e) => errors.push(e),
        }
    }
    for (k, v) in vars {
        // `-var` values are strings unless they parse as an HCL collection.
        let parsed = if v.starts_with('[') || v.starts_with('{') {
            hcl_edit::parser::parse_expr(v).ok().map(|e| {
                Ev {
                    inst: &dummy,
                    loader,
                    file: SourceId(0),
                    vars: Vec::new(),
                }
                .eval_const(&e)
            })
        } else {
            None
        };
        values.insert(k.clone(), parsed.unwrap_or_else(|| V::Str(v.clone())));
    }
    for (name, &loc) in &module.index.variables {
        if let Some(v) = values.remove(name) {
            values.insert(name.clone(), convert_to_declared(v, module.block(loc)));
        }
    }
    values
}

/// The variables of a JSON variable file: one object whose keys are variable names.
fn json_variables(
    source: &crate::source::SourceFile,
) -> Result<Vec<(String, V)>, crate::model::InputError> {
    let at = |line: usize, column: usize, message: String| {
        let start = source.line_span(line).start as usize + column.saturating_sub(1);
        let start = start.min(source.text.len());
        crate::model::InputError {
            span: Span::new(source.id, start..start),
            message,
        }
    };
    let doc: serde_json::Value = serde_json::from_str(&source.text).map_err(|e| {
        at(
            e.line(),
            e.column(),
            format!("invalid JSON variable file: {e}"),
        )
    })?;
    let serde_json::Value::Object(map) = doc else {
        return Err(at(
            1,
            1,
            "a JSON variable file must hold one object of variable names and values".into(),
        ));
    };
    Ok(map
        .iter()
        .map(|(k, v)| (k.clone(), V::from_json(v)))
        .collect())
}
