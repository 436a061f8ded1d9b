//! Warnings as values: the core collects them while it reads and plans, and
//! the caller decides how (and whether) to show them.

/// Warnings collected in one run, in the order they arose.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Warnings {
    messages: Vec<String>,
}

impl Warnings {
    /// Records a warning: one sentence or two, saying what to do about it.
    pub fn push(&mut self, message: String) {
        self.messages.push(message);
    }

    /// The warnings recorded so far.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// Hands over the warnings recorded so far and forgets them.
    pub fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }
}
