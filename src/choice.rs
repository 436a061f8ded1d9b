//! Options whose values are chosen by name (`--by file`, `--runner go`):
//! each such enum says once what its values are called and what they mean,
//! and the command line builds its choices and help from that.

/// An enum whose values are chosen by name.
pub trait Choice: Sized + Copy + 'static {
    /// Every value, in the order help lists them.
    const ALL: &'static [Self];

    /// The value's name, as options and plan files spell it.
    fn name(self) -> &'static str;

    /// One line on what the value means, for help.
    fn help(self) -> &'static str;

    /// The value called `name`, if any.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::Choice;
    use crate::emit::RunnerKind;
    use crate::naming::Granularity;
    use crate::plan::Algorithm;

    fn round_trips<T: Choice + PartialEq + std::fmt::Debug>() {
        for &value in T::ALL {
            assert_eq!(T::from_name(value.name()), Some(value));
            assert!(!value.help().is_empty(), "{value:?} has no help");
        }
        assert_eq!(T::from_name("no such value"), None);
    }

    #[test]
    fn every_choice_is_found_by_its_name() {
        round_trips::<Granularity>();
        round_trips::<RunnerKind>();
        round_trips::<Algorithm>();
    }
}
