//! The expression evaluator: instances from `count`/`for_each`, bodies with `dynamic`
//! blocks, operators, `for`, templates, function calls and references.

#[allow(clippy::wildcard_imports, reason = "the evaluator's own types")]
use super::*;

impl Ev<'_> {
    /// Instances from `count`/`for_each`: keys with the `count`/`each` bindings.
    ///
    /// A value Terraform rejects (a negative, fractional or non-number `count`, a
    /// `for_each` that is not a map or set of strings) is a located input error and the
    /// block is one representative instance of unknown count, so that its settings are
    /// still checked. More than [`MAX_INSTANCES`] instances are reported and the first
    /// ones expanded: enough for every rule that counts resources.
    pub(super) fn instance_keys(&self, body: &Body) -> (Vec<(InstKey, Bindings)>, Counted, bool) {
        if let Some(a) = body.get_attribute("count") {
            let span = span_of(self.file, a.value.span());
            let unknown = || {
                let count = V::Map(BTreeMap::from([("index".into(), V::Unknown)]));
                (
                    vec![(InstKey::Unknown, vec![("count".into(), count)])],
                    Counted::Unknown,
                    true,
                )
            };
            let v = match self.eval(&a.value) {
                Ok(v) if !v.has_unknown() => v,
                _ => return unknown(),
            };
            let n = match (&v, v.as_num()) {
                (V::Null, _) => Err("`count` is null; Terraform requires a whole number".into()),
                (_, Some(n)) if !n.is_finite() => Err(format!(
                    "`count` is {}; Terraform requires a whole number",
                    fmt_num(n)
                )),
                (_, Some(n)) if n < 0.0 => Err(format!(
                    "`count` is {}: it must not be negative (Terraform rejects this)",
                    fmt_num(n)
                )),
                (_, Some(n)) if n.fract() != 0.0 => Err(format!(
                    "`count` is {}: it must be a whole number (Terraform rejects this)",
                    fmt_num(n)
                )),
                (_, Some(n)) => Ok(n),
                (other, None) => Err(format!(
                    "`count` is a {}, not a whole number (Terraform rejects this)",
                    other.type_name()
                )),
            };
            let n = match n {
                Ok(n) => n,
                Err(msg) => {
                    limits::error(span, msg);
                    return unknown();
                }
            };
            let counted = if n > MAX_INSTANCES as f64 {
                limits::note(
                    span,
                    format!(
                        "`count` is {}: trailcheck expands the first {MAX_INSTANCES} instances \
                         and checks those; the number of instances is taken as unknown",
                        fmt_num(n)
                    ),
                );
                Counted::Unknown
            } else {
                Counted::Count
            };
            let n = num_to_index(n.min(MAX_INSTANCES as f64)).unwrap_or(0);
            let keys = (0..n)
                .map(|i| {
                    let count = V::Map(BTreeMap::from([("index".into(), V::Num(i as f64))]));
                    (InstKey::Index(i), vec![("count".into(), count)])
                })
                .collect();
            return (keys, counted, false);
        }
        if let Some(a) = body.get_attribute("for_each") {
            let span = span_of(self.file, a.value.span());
            let items: Result<Option<Vec<(String, V)>>, String> = match self.eval(&a.value) {
                Ok(V::Map(m)) => Ok(Some(m.into_iter().collect())),
                Ok(V::List(l)) if !l.iter().any(V::has_unknown) => l
                    .into_iter()
                    .map(|v| match v {
                        V::Str(s) => Ok((s.clone(), V::Str(s))),
                        V::Num(_) | V::Bool(_) => {
                            let s = v.to_str().unwrap_or_default();
                            Ok((s.clone(), V::Str(s)))
                        }
                        other => Err(format!(
                            "`for_each` has a {} element; Terraform requires a map or a set \
                             of strings",
                            other.type_name()
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                Ok(V::Null) => Err("`for_each` is null; Terraform requires a map or a set of \
                                    strings"
                    .into()),
                Ok(v @ (V::Num(_) | V::Bool(_))) => Err(format!(
                    "`for_each` is a {}; Terraform requires a map or a set of strings",
                    v.type_name()
                )),
                Ok(V::Str(s)) if !s.contains(UNKNOWN_MARK) => Err("`for_each` is a string; \
                                 Terraform requires a map or a set of strings"
                    .into()),
                _ => Ok(None),
            };
            let items = match items {
                Ok(i) => i,
                Err(msg) => {
                    limits::error(span, msg);
                    None
                }
            };
            return match items {
                Some(items) => {
                    let counted = if items.len() > MAX_INSTANCES {
                        limits::note(
                            span,
                            format!(
                                "`for_each` has {} elements: trailcheck expands the first \
                                 {MAX_INSTANCES} and checks those; the set of instances is \
                                 taken as unknown",
                                items.len()
                            ),
                        );
                        Counted::Unknown
                    } else {
                        Counted::ForEach
                    };
                    let keys = items
                        .into_iter()
                        .take(MAX_INSTANCES)
                        .map(|(k, v)| {
                            let each = V::Map(BTreeMap::from([
                                ("key".into(), V::Str(k.clone())),
                                ("value".into(), v),
                            ]));
                            (InstKey::Key(k), vec![("each".into(), each)])
                        })
                        .collect();
                    (keys, counted, false)
                }
                None => {
                    let each = V::Map(BTreeMap::from([
                        ("key".into(), V::Unknown),
                        ("value".into(), V::Unknown),
                    ]));
                    (
                        vec![(InstKey::Unknown, vec![("each".into(), each)])],
                        Counted::Unknown,
                        true,
                    )
                }
            };
        }
        (vec![(InstKey::None, Vec::new())], Counted::Single, false)
    }

    /// Evaluates a block body. Meta-arguments are skipped; `dynamic` blocks are expanded.
    pub(super) fn eval_body(&self, body: &Body, span: Span) -> EvBody {
        let mut out = EvBody {
            span,
            ..EvBody::default()
        };
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let key = a.key.as_str();
                    if matches!(
                        key,
                        "count" | "for_each" | "provider" | "depends_on" | "providers"
                    ) {
                        continue;
                    }
                    let saved = std::mem::take(&mut *self.inst.refs.borrow_mut());
                    let v = self.eval(&a.value).unwrap_or(V::Unknown);
                    let refs = std::mem::replace(&mut *self.inst.refs.borrow_mut(), saved);
                    for r in refs {
                        out.refs.push((key.to_owned(), r));
                    }
                    out.attrs
                        .push((key.to_owned(), v, span_of(self.file, a.value.span())));
                }
                Structure::Block(b) => {
                    let ident = b.ident.as_str();
                    if matches!(ident, "lifecycle" | "provisioner" | "connection") {
                        continue;
                    }
                    if ident == "dynamic" {
                        self.expand_dynamic(b, &mut out);
                        continue;
                    }
                    let inner = self.eval_body(&b.body, header_span(self.file, b));
                    out.refs.extend(
                        inner
                            .refs
                            .iter()
                            .map(|(_, r)| (ident.to_owned(), r.clone())),
                    );
                    out.blocks.push((ident.to_owned(), inner));
                }
            }
        }
        out
    }

    fn expand_dynamic(&self, b: &Block, out: &mut EvBody) {
        let Some(label) = b.labels.first().map(|l| l.as_str().to_owned()) else {
            return;
        };
        let iterator = b
            .body
            .get_attribute("iterator")
            .map_or_else(|| label.clone(), |a| expr_text(&a.value));
        let content = b.body.get_blocks("content").next();
        let items = b
            .body
            .get_attribute("for_each")
            .map(|a| self.eval(&a.value).unwrap_or(V::Unknown));
        let pairs: Vec<(V, V)> = match items {
            Some(V::List(l)) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| (V::Num(i as f64), v))
                .collect(),
            Some(V::Map(m)) => m.into_iter().map(|(k, v)| (V::Str(k), v)).collect(),
            Some(V::Null) => Vec::new(),
            _ => {
                out.unknown_blocks.push(label);
                return;
            }
        };
        let Some(content) = content else { return };
        for (k, v) in pairs.into_iter().take(MAX_COLLECTION) {
            let mut ev = self.clone();
            ev.vars.push((
                iterator.clone(),
                V::Map(BTreeMap::from([("key".into(), k), ("value".into(), v)])),
            ));
            let inner = ev.eval_body(&content.body, header_span(self.file, b));
            out.refs
                .extend(inner.refs.iter().map(|(_, r)| (label.clone(), r.clone())));
            out.blocks.push((label.clone(), inner));
        }
    }

    /// Evaluates a variable default: a constant expression without references.
    pub(super) fn eval_const(&self, e: &Expression) -> V {
        self.eval(e).unwrap_or(V::Unknown)
    }

    fn lookup_var(&self, name: &str) -> Option<&V> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Evaluates an expression within the evaluation budget: each call is a step, nests
    /// one level deeper, and what it produces is counted.
    pub(crate) fn eval(&self, e: &Expression) -> EvResult {
        let r = self.eval_counted(e);
        if r.is_err() {
            limits::note_if_spent(span_of(self.file, e.span()));
        }
        r
    }

    fn eval_counted(&self, e: &Expression) -> EvResult {
        limits::step()?;
        let _depth = limits::Depth::enter()?;
        let v = self.eval_uncounted(e)?;
        limits::charge(&v)?;
        Ok(v)
    }

    fn eval_uncounted(&self, e: &Expression) -> EvResult {
        let v = match e {
            Expression::Null(_) => V::Null,
            Expression::Bool(b) => V::Bool(*b.value()),
            Expression::Number(n) => V::Num(n.value().as_f64().unwrap_or(0.0)),
            Expression::String(s) => V::Str(s.value().clone()),
            Expression::Array(a) => {
                let mut out = Vec::new();
                for x in a.iter() {
                    out.push(self.eval(x)?);
                }
                V::List(out)
            }
            Expression::Object(o) => {
                let mut m = BTreeMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_owned(),
                        ObjectKey::Expression(Expression::Variable(i)) => i.as_str().to_owned(),
                        ObjectKey::Expression(e) => match self.eval(e)?.to_str() {
                            Some(s) if !s.contains(UNKNOWN_MARK) => s,
                            Some(_) => return Ok(V::Unknown),
                            None => return Err("object key must be a string".into()),
                        },
                    };
                    m.insert(key, self.eval(v.expr())?);
                }
                V::Map(m)
            }
            Expression::StringTemplate(t) => V::Str(self.template(t)?),
            Expression::HeredocTemplate(h) => {
                let mut h = (**h).clone();
                if h.indent().is_some() {
                    h.dedent();
                }
                V::Str(self.template(&h.template)?)
            }
            Expression::Parenthesis(p) => self.eval(p.inner())?,
            Expression::Variable(v) => self.variable(v.as_str(), &[])?,
            Expression::Conditional(c) => match self.eval(&c.cond_expr)? {
                V::Bool(true) => self.eval(&c.true_expr)?,
                V::Bool(false) => self.eval(&c.false_expr)?,
                cond if cond.as_bool().is_some() => {
                    if cond.as_bool() == Some(true) {
                        self.eval(&c.true_expr)?
                    } else {
                        self.eval(&c.false_expr)?
                    }
                }
                _ => {
                    // Unknown condition: known only if both branches agree.
                    let t = self.eval(&c.true_expr).unwrap_or(V::Unknown);
                    let f = self.eval(&c.false_expr).unwrap_or(V::Unknown);
                    if t.tf_eq(&f) == Some(true) {
                        t
                    } else {
                        V::Unknown
                    }
                }
            },
            Expression::FuncCall(f) => self.func(f)?,
            Expression::Traversal(t) => self.traversal(&t.expr, &t.operators)?,
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr)?;
                if v.is_unknown() {
                    return Ok(V::Unknown);
                }
                match u.operator.value() {
                    UnaryOperator::Not => V::Bool(!v.as_bool().ok_or("! needs a bool")?),
                    UnaryOperator::Neg => V::Num(-v.as_num().ok_or("- needs a number")?),
                }
            }
            Expression::BinaryOp(b) => self.binary(b)?,
            Expression::ForExpr(f) => self.for_expr(f)?,
        };
        if let V::Str(s) = &v {
            if s.len() > MAX_STRING {
                return Err("string too large to evaluate".into());
            }
        }
        Ok(v)
    }

    fn binary(&self, b: &hcl_edit::expr::BinaryOp) -> EvResult {
        let op = *b.operator.value();
        let l = self.eval(&b.lhs_expr)?;
        // Short-circuit with unknowns: false && x = false, true || x = true.
        match (op, l.as_bool()) {
            (BinaryOperator::And, Some(false)) => return Ok(V::Bool(false)),
            (BinaryOperator::Or, Some(true)) => return Ok(V::Bool(true)),
            _ => {}
        }
        let r = self.eval(&b.rhs_expr)?;
        Ok(match op {
            BinaryOperator::Eq => l.tf_eq(&r).map_or(V::Unknown, V::Bool),
            BinaryOperator::NotEq => l.tf_eq(&r).map_or(V::Unknown, |x| V::Bool(!x)),
            BinaryOperator::And | BinaryOperator::Or => match (l.as_bool(), r.as_bool()) {
                (Some(a), Some(c)) => V::Bool(if op == BinaryOperator::And {
                    a && c
                } else {
                    a || c
                }),
                (_, Some(false)) if op == BinaryOperator::And => V::Bool(false),
                (_, Some(true)) if op == BinaryOperator::Or => V::Bool(true),
                _ => V::Unknown,
            },
            _ => {
                let (Some(a), Some(c)) = (l.as_num(), r.as_num()) else {
                    if l.is_unknown() || r.is_unknown() {
                        return Ok(V::Unknown);
                    }
                    return Err(format!(
                        "arithmetic on {} and {}",
                        l.type_name(),
                        r.type_name()
                    ));
                };
                match op {
                    BinaryOperator::Plus => V::Num(a + c),
                    BinaryOperator::Minus => V::Num(a - c),
                    BinaryOperator::Mul => V::Num(a * c),
                    BinaryOperator::Div => V::Num(a / c),
                    BinaryOperator::Mod => V::Num(a % c),
                    BinaryOperator::Less => V::Bool(a < c),
                    BinaryOperator::LessEq => V::Bool(a <= c),
                    BinaryOperator::Greater => V::Bool(a > c),
                    BinaryOperator::GreaterEq => V::Bool(a >= c),
                    _ => V::Unknown,
                }
            }
        })
    }

    fn for_expr(&self, f: &hcl_edit::expr::ForExpr) -> EvResult {
        let coll = self.eval(&f.intro.collection_expr)?;
        let pairs: Vec<(V, V)> = match coll {
            V::List(l) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| (V::Num(i as f64), v))
                .collect(),
            V::Map(m) => m.into_iter().map(|(k, v)| (V::Str(k), v)).collect(),
            V::Unknown | V::Str(_) if coll.is_unknown() => return Ok(V::Unknown),
            V::Null => return Err("for expression over null".into()),
            other => return Err(format!("cannot iterate over {}", other.type_name())),
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_owned());
        let val_var = f.intro.value_var.as_str().to_owned();
        let mut list = Vec::new();
        let mut map: BTreeMap<String, V> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<V>> = BTreeMap::new();
        for (k, v) in pairs {
            let mut ev = self.clone();
            if let Some(kv) = &key_var {
                ev.vars.push((kv.clone(), k));
            }
            ev.vars.push((val_var.clone(), v));
            if let Some(c) = &f.cond {
                match ev.eval(&c.expr)?.as_bool() {
                    Some(true) => {}
                    Some(false) => continue,
                    None => return Ok(V::Unknown),
                }
            }
            let value = ev.eval(&f.value_expr)?;
            match &f.key_expr {
                Some(ke) => {
                    let key = ev.eval(ke)?;
                    let Some(key) = key.to_str().filter(|s| !s.contains(UNKNOWN_MARK)) else {
                        return Ok(V::Unknown);
                    };
                    if f.grouping {
                        groups.entry(key).or_default().push(value);
                    } else {
                        map.insert(key, value);
                    }
                }
                None => list.push(value),
            }
            if list.len() + map.len() + groups.len() > MAX_COLLECTION {
                return Err("for expression produces too many elements".into());
            }
        }
        Ok(if f.key_expr.is_some() {
            if f.grouping {
                V::Map(groups.into_iter().map(|(k, v)| (k, V::List(v))).collect())
            } else {
                V::Map(map)
            }
        } else {
            V::List(list)
        })
    }

    fn template(&self, t: &Template) -> Result<String, String> {
        let mut out = String::new();
        for el in t.iter() {
            match el {
                Element::Literal(l) => out.push_str(l.value()),
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr)?;
                    match v.to_str() {
                        Some(s) => out.push_str(&s),
                        None if matches!(v, V::Null) => return Err("interpolation of null".into()),
                        None => return Err(format!("cannot interpolate a {}", v.type_name())),
                    }
                }
                Element::Directive(d) => match &**d {
                    Directive::If(i) => match self.eval(&i.if_expr.cond_expr)?.as_bool() {
                        Some(true) => out.push_str(&self.template(&i.if_expr.template)?),
                        Some(false) => {
                            if let Some(e) = &i.else_expr {
                                out.push_str(&self.template(&e.template)?);
                            }
                        }
                        None => out.push(UNKNOWN_MARK),
                    },
                    Directive::For(f) => {
                        let coll = self.eval(&f.for_expr.collection_expr)?;
                        let pairs: Vec<(V, V)> = match coll {
                            V::List(l) => l
                                .into_iter()
                                .enumerate()
                                .map(|(i, v)| (V::Num(i as f64), v))
                                .collect(),
                            V::Map(m) => m.into_iter().map(|(k, v)| (V::Str(k), v)).collect(),
                            _ => {
                                out.push(UNKNOWN_MARK);
                                continue;
                            }
                        };
                        for (k, v) in pairs {
                            let mut ev = self.clone();
                            if let Some(kv) = &f.for_expr.key_var {
                                ev.vars.push((kv.as_str().to_owned(), k));
                            }
                            ev.vars.push((f.for_expr.value_var.as_str().to_owned(), v));
                            out.push_str(&ev.template(&f.for_expr.template)?);
                            if out.len() > MAX_STRING {
                                return Err("template too large".into());
                            }
                        }
                    }
                },
            }
            if out.len() > MAX_STRING {
                return Err("template too large".into());
            }
        }
        Ok(out)
    }

    fn func(&self, f: &hcl_edit::expr::FuncCall) -> EvResult {
        let name = f.name.name.as_str();
        let args: Vec<&Expression> = f.args.iter().collect();
        match name {
            "try" => {
                for a in &args {
                    match self.eval(a) {
                        Ok(v) => return Ok(v),
                        // A spent budget is not an error `try` may hide.
                        Err(e) if limits::is_spent() => return Err(e),
                        Err(_) => {}
                    }
                }
                return Err("try: no argument succeeded".into());
            }
            "can" => {
                return match args.first().map(|a| self.eval(a)) {
                    Some(Ok(v)) if v.is_unknown() => Ok(V::Unknown),
                    Some(Ok(_)) => Ok(V::Bool(true)),
                    Some(Err(e)) if limits::is_spent() => Err(e),
                    _ => Ok(V::Bool(false)),
                };
            }
            "templatefile" => return self.templatefile(f, &args),
            _ => {}
        }
        let mut vals = Vec::with_capacity(args.len());
        for a in &args {
            vals.push(self.eval(a)?);
        }
        if f.args.expand_final() {
            if let Some(V::List(l)) = vals.pop() {
                vals.extend(l);
            } else {
                return Ok(V::Unknown);
            }
        }
        if functions::reads_files(name) {
            let span = span_of(self.file, f.span());
            return match functions::file_function(name, &vals, &self.files()) {
                Ok(v) => Ok(v),
                Err(functions::FileError::Refused(why)) => {
                    limits::note(span, format!("`{name}` was not evaluated: {why}"));
                    Ok(V::Unknown)
                }
                Err(functions::FileError::Invalid(e)) => Err(e),
            };
        }
        functions::call(name, &vals)
    }

    /// Where relative paths of `file()` and friends lead: the root module's directory,
    /// which is Terraform's working directory.
    fn files(&self) -> functions::Files {
        functions::Files {
            base: self.inst.root_dir.clone(),
            module_dir: self.inst.module.dir.clone(),
            sandbox: limits::sandbox(),
        }
    }

    /// `templatefile(path, vars)`: the template is read through the sandbox, parsed under
    /// the parse budget and evaluated with only `vars` in scope. A template that includes
    /// itself, directly or through others, or nests too deep, is unknown with a note.
    fn templatefile(&self, f: &hcl_edit::expr::FuncCall, args: &[&Expression]) -> EvResult {
        let span = span_of(self.file, f.span());
        let path = self.eval(args.first().ok_or("templatefile: path")?)?;
        let vars = match args.get(1) {
            Some(a) => self.eval(a)?,
            None => V::Map(BTreeMap::new()),
        };
        let Some(path) = path.to_str().filter(|p| !p.contains(UNKNOWN_MARK)) else {
            return Ok(V::Unknown);
        };
        let files = self.files();
        let refused = |why: String| {
            limits::note(span, format!("`templatefile` was not evaluated: {why}"));
            Ok(V::Unknown)
        };
        let canonical = match files.sandbox.resolve(&files.base, &files.module_dir, &path) {
            Ok(c) => c,
            Err(why) => return refused(why),
        };
        let _frame = match limits::TemplateFrame::enter(&canonical) {
            Ok(f) => f,
            Err(why) => return refused(why),
        };
        let text = match files.sandbox.read(&files.base, &files.module_dir, &path) {
            Ok(t) => t,
            Err(why) => return refused(why),
        };
        let tpl = match super::super::syntax::parse_template(text) {
            Ok(t) => t,
            Err(why) => return refused(format!("the template cannot be parsed: {why}")),
        };
        let mut ev = self.clone();
        ev.vars = match vars {
            V::Map(m) => m.into_iter().collect(),
            _ => Vec::new(),
        };
        let out = match ev.template(&tpl) {
            Ok(s) => V::Str(s),
            Err(e) if limits::is_spent() => {
                drop(tpl);
                return Err(e);
            }
            Err(_) => V::Str(UNKNOWN_MARK.to_string()),
        };
        Ok(out)
    }

    /// Resolves a root identifier followed by traversal operators.
    fn traversal(
        &self,
        root: &Expression,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> EvResult {
        let ops: Vec<&TraversalOperator> = ops.iter().map(|o| o.value()).collect();
        match root {
            Expression::Variable(v) => self.variable(v.as_str(), &ops),
            other => {
                let base = self.eval(other)?;
                self.apply(base, &ops)
            }
        }
    }

    fn attr_name<'o>(op: Option<&&'o TraversalOperator>) -> Option<&'o str> {
        match op {
            Some(TraversalOperator::GetAttr(i)) => Some(i.as_str()),
            _ => None,
        }
    }

    fn variable(&self, name: &str, ops: &[&TraversalOperator]) -> EvResult {
        if let Some(v) = self.lookup_var(name) {
            return self.apply(v.clone(), ops);
        }
        let inst = self.inst;
        match name {
            "var" => {
                let n = Self::attr_name(ops.first()).ok_or("var needs an attribute")?;
                let v = inst
                    .vars
                    .get(n)
                    .cloned()
                    .ok_or_else(|| format!("reference to undeclared input variable var.{n}"))?;
                self.apply(v, &ops[1..])
            }
            "local" => {
                let n = Self::attr_name(ops.first()).ok_or("local needs an attribute")?;
                let v = inst.local(self.loader, n)?;
                self.apply(v, &ops[1..])
            }
            "path" => {
                // As Terraform run in the root module's directory: `path.root` is `.`,
                // `path.module` is relative to it, `path.cwd` is absolute. None depends on
                // where trailcheck runs.
                let v = match Self::attr_name(ops.first()) {
                    Some("module") => V::Str(
                        functions::relative_to(&inst.module.dir, &inst.root_dir)
                            .unwrap_or_else(|| absolute_display(&inst.module.dir)),
                    ),
                    Some("root") => V::Str(".".into()),
                    Some("cwd") => V::Str(absolute_display(&inst.root_dir)),
                    _ => V::Unknown,
                };
                self.apply(v, ops.get(1..).unwrap_or(&[]))
            }
            "terraform" => Ok(match Self::attr_name(ops.first()) {
                Some("workspace") => V::Str("default".into()),
                _ => V::Unknown,
            }),
            "count" | "each" | "self" => Ok(V::Unknown),
            "module" => {
                let n = Self::attr_name(ops.first()).ok_or("module needs a name")?;
                let Some(call) = inst.call(self.loader, n) else {
                    // Not installed or not local: opaque, outputs unknown.
                    return Ok(V::Unknown);
                };
                let mut rest = &ops[1..];
                let child = if call.counted {
                    let key = match rest.first() {
                        Some(TraversalOperator::Index(e)) => self.eval(e)?,
                        Some(TraversalOperator::LegacyIndex(i)) => V::Num(*i.value() as f64),
                        _ => {
                            // The whole collection of instances.
                            let all: Vec<V> = call
                                .instances
                                .iter()
                                .map(|(_, c)| c.all_outputs(self.loader))
                                .collect();
                            return self.apply(V::List(all), rest);
                        }
                    };
                    rest = &rest[1..];
                    call.instances
                        .iter()
                        .find(|(k, _)| match (k, &key) {
                            (InstKey::Index(i), V::Num(n)) => num_to_index(*n) == Some(*i),
                            (InstKey::Key(s), V::Str(t)) => s == t,
                            _ => false,
                        })
                        .map(|(_, c)| Rc::clone(c))
                } else {
                    call.instances.first().map(|(_, c)| Rc::clone(c))
                };
                let Some(child) = child else {
                    return Ok(V::Unknown);
                };
                match Self::attr_name(rest.first()) {
                    Some(out) => {
                        let v = child.output(self.loader, out).unwrap_or(V::Unknown);
                        // What the output refers to, the caller refers to.
                        self.inst
                            .refs
                            .borrow_mut()
                            .extend(child.refs_of_output(out));
                        self.apply(v, &rest[1..])
                    }
                    None => self.apply(child.all_outputs(self.loader), rest),
                }
            }
            "data" => {
                let t = Self::attr_name(ops.first()).ok_or("data needs a type")?;
                let n = Self::attr_name(ops.get(1)).ok_or("data needs a name")?;
                self.resource_ref(&format!("data.{t}.{n}"), &ops[2..])
            }
            rtype => {
                let Some(n) = Self::attr_name(ops.first()) else {
                    return Err(format!("unknown identifier {rtype}"));
                };
                self.resource_ref(&format!("{rtype}.{n}"), &ops[1..])
            }
        }
    }

    fn resource_ref(&self, key: &str, ops: &[&TraversalOperator]) -> EvResult {
        if !self.inst.module.index.resource_map.contains_key(key) {
            return Err(format!("reference to undeclared resource {key}"));
        }
        self.inst
            .refs
            .borrow_mut()
            .push(format!("{}{key}", self.inst.prefix));
        let Some(r) = self.inst.resource(self.loader, key) else {
            return Ok(V::Unknown);
        };
        // Attributes trailcheck does not model (computed ones such as `account_id`) are
        // unknown, not errors: the first attribute access after the instance index is
        // lenient.
        let split = ops
            .iter()
            .position(|o| matches!(o, TraversalOperator::GetAttr(_)))
            .unwrap_or(ops.len());
        let v = self.apply(r.value.clone(), &ops[..split])?;
        match (ops.get(split), v) {
            (Some(TraversalOperator::GetAttr(name)), V::Map(mut m)) => {
                let attr = m.remove(name.as_str()).unwrap_or(V::Unknown);
                self.apply(attr, &ops[split + 1..])
            }
            (_, v) => self.apply(v, &ops[split..]),
        }
    }

    /// Applies traversal operators to a value.
    fn apply(&self, mut v: V, ops: &[&TraversalOperator]) -> EvResult {
        let mut i = 0;
        while i < ops.len() {
            if matches!(v, V::Unknown) {
                return Ok(V::Unknown);
            }
            match ops[i] {
                TraversalOperator::GetAttr(name) => {
                    v = match v {
                        V::Map(mut m) => match m.remove(name.as_str()) {
                            Some(x) => x,
                            None => {
                                return Err(format!("object has no attribute {:?}", name.as_str()))
                            }
                        },
                        V::Null => return Err(format!("attribute {:?} of null", name.as_str())),
                        other => {
                            return Err(format!("cannot get attribute of a {}", other.type_name()))
                        }
                    };
                }
                TraversalOperator::Index(e) => {
                    let k = self.eval(e)?;
                    v = self.index(v, &k)?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    v = self.index(v, &V::Num(*n.value() as f64))?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items = match v {
                        V::List(l) => l,
                        V::Map(m) if matches!(ops[i], TraversalOperator::FullSplat(_)) => {
                            m.into_values().collect()
                        }
                        V::Null => Vec::new(),
                        other => vec![other],
                    };
                    let rest = &ops[i + 1..];
                    let mut out = Vec::new();
                    for item in items {
                        out.push(self.apply(item, rest)?);
                    }
                    return Ok(V::List(out));
                }
            }
            i += 1;
        }
        Ok(v)
    }

    fn index(&self, v: V, k: &V) -> EvResult {
        if k.is_unknown() {
            return Ok(V::Unknown);
        }
        match v {
            V::List(mut l) => {
                let n = k
                    .as_num()
                    .and_then(num_to_index)
                    .ok_or("list index must be a whole number")?;
                if n < l.len() {
                    Ok(l.swap_remove(n))
                } else {
                    Err(format!("index {n} out of range for a list of {}", l.len()))
                }
            }
            V::Map(mut m) => {
                let key = k.to_str().ok_or("map key must be a string")?;
                m.remove(&key).ok_or_else(|| format!("no key {key:?}"))
            }
            V::Unknown => Ok(V::Unknown),
            other => Err(format!("cannot index a {}", other.type_name())),
        }
    }
}

/// A directory as an absolute path (canonical when it exists).
fn absolute_display(dir: &std::path::Path) -> String {
    std::fs::canonicalize(dir)
        .ok()
        .or_else(|| {
            std::env::current_dir()
                .ok()
                .map(|c| normalize(&c.join(dir)))
        })
        .unwrap_or_else(|| dir.to_path_buf())
        .display()
        .to_string()
}
