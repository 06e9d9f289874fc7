//! The template's `Conditions` section, evaluated lazily and once per name.
//!
//! A condition that depends on something unknown (a parameter without default, the
//! account id) is unknown: a resource guarded by it is kept and marked conditional, and
//! `Fn::If` on it is unknown. A cycle between conditions is unknown too, never a hang.

use super::intrinsics::Ctx;
use super::yaml::Node;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

#[derive(Clone, Copy)]
enum Slot {
    InProgress,
    Done(Option<bool>),
}

pub(crate) struct Conditions<'a> {
    decls: HashMap<&'a str, &'a Node>,
    memo: RefCell<HashMap<String, Slot>>,
    /// Conditions being evaluated (one inside another): capped so a long chain cannot
    /// overflow the stack.
    depth: Cell<usize>,
}

const MAX_CHAIN: usize = 64;

impl<'a> Conditions<'a> {
    pub(crate) fn new(section: Option<&'a Node>) -> Conditions<'a> {
        let decls = section
            .and_then(Node::as_map)
            .map(|m| m.iter().map(|(k, v)| (k.name.as_str(), v)).collect())
            .unwrap_or_default();
        Conditions {
            decls,
            memo: RefCell::new(HashMap::new()),
            depth: Cell::new(0),
        }
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.decls.contains_key(name)
    }

    /// The value of a named condition: `None` when unknown (or undefined, or cyclic).
    pub(crate) fn value(&self, ctx: &Ctx<'_>, name: &str) -> Option<bool> {
        match self.memo.borrow().get(name) {
            Some(Slot::Done(v)) => return *v,
            Some(Slot::InProgress) => return None,
            None => {}
        }
        let node = *self.decls.get(name)?;
        if self.depth.get() >= MAX_CHAIN {
            return None;
        }
        self.depth.set(self.depth.get() + 1);
        self.memo
            .borrow_mut()
            .insert(name.to_owned(), Slot::InProgress);
        let value = ctx.truth(node, &mut Vec::new());
        self.depth.set(self.depth.get() - 1);
        self.memo
            .borrow_mut()
            .insert(name.to_owned(), Slot::Done(value));
        value
    }
}
