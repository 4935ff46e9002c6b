//! What a rule sees of a case: the events up to `now`, indexed by kind, and the people.

use chrono::{DateTime, Utc};

use crate::case::Case;
use crate::interchange::{CaseKey, Event, EventData, Kind, PersonKey, Role};
use crate::time::Calendar;

use super::RuleSetConfig;

/// A person of the case, as their latest `person_added` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub key: PersonKey,
    pub role: Role,
    /// Enhanced rights under the Victims' Code: every victim of a sexual offence, unless recorded
    /// otherwise.
    pub enhanced_rights: bool,
}

/// Reusable working memory for evaluating many cases without allocating for each.
#[derive(Debug, Default)]
pub struct Scratch {
    people: Vec<Person>,
    /// Event positions grouped by kind (each group in time order).
    by_kind: Vec<u32>,
    /// `starts[k]..starts[k + 1]` is kind `k`'s group in `by_kind`.
    starts: Vec<u32>,
}

/// A case as the rules see it at `now`.
#[derive(Debug)]
pub struct CaseContext<'a> {
    pub key: &'a CaseKey,
    /// Events at or before `now`, in time order. Later events are ignored by every rule.
    pub events: &'a [Event],
    pub now: DateTime<Utc>,
    pub config: &'a RuleSetConfig,
    pub calendar: &'a Calendar,
    scratch: &'a Scratch,
}

impl<'a> CaseContext<'a> {
    /// Prepares `case` for evaluation at `now`, indexing it in one pass over its events.
    pub fn new(
        case: &'a Case,
        now: DateTime<Utc>,
        config: &'a RuleSetConfig,
        calendar: &'a Calendar,
        scratch: &'a mut Scratch,
    ) -> Self {
        let all = case.events();
        let visible = all.partition_point(|event| event.at <= now);
        let events = &all[..visible];
        index(events, scratch);
        CaseContext {
            key: &case.key,
            events,
            now,
            config,
            calendar,
            scratch,
        }
    }

    /// Events of one kind, in time order.
    pub fn of_kind(&self, kind: Kind) -> impl DoubleEndedIterator<Item = &'a Event> + use<'a> {
        let scratch: &'a Scratch = self.scratch;
        let events = self.events;
        let group = &scratch.by_kind
            [scratch.starts[kind.index()] as usize..scratch.starts[kind.index() + 1] as usize];
        group
            .iter()
            .map(move |&position| &events[position as usize])
    }

    /// Events of one kind about one person, in time order.
    pub fn of_kind_for<'p>(
        &self,
        kind: Kind,
        person: &'p PersonKey,
    ) -> impl DoubleEndedIterator<Item = &'a Event> + use<'a, 'p> {
        self.of_kind(kind)
            .filter(move |event| event.person() == Some(person))
    }

    /// The people of the case, in the order they were added.
    pub fn people(&self) -> &'a [Person] {
        &self.scratch.people
    }

    /// The victims of the case.
    pub fn victims(&self) -> impl Iterator<Item = &'a Person> + use<'a> {
        self.people()
            .iter()
            .filter(|person| person.role == Role::Victim)
    }

    /// The role of a person, if they have been added.
    pub fn role_of(&self, key: &PersonKey) -> Option<Role> {
        self.people()
            .iter()
            .find(|person| &person.key == key)
            .map(|person| person.role)
    }

    /// The first report of the case, from which the Victims' Code timescales run.
    pub fn first_report(&self) -> Option<&'a Event> {
        self.of_kind(Kind::ReportReceived).next()
    }

    /// True once the case has been closed.
    pub fn is_closed(&self) -> bool {
        self.of_kind(Kind::CaseClosed).next().is_some()
    }
}

fn index(events: &[Event], scratch: &mut Scratch) {
    scratch.people.clear();
    scratch.starts.clear();
    scratch.starts.resize(Kind::COUNT + 1, 0);
    // A counting sort by kind: stable, so each group stays in time order.
    for event in events {
        scratch.starts[event.kind().index() + 1] += 1;
    }
    for k in 0..Kind::COUNT {
        scratch.starts[k + 1] += scratch.starts[k];
    }
    scratch.by_kind.clear();
    scratch.by_kind.resize(events.len(), 0);
    let mut next: [u32; Kind::COUNT] = [0; Kind::COUNT];
    next.copy_from_slice(&scratch.starts[..Kind::COUNT]);
    for (position, event) in events.iter().enumerate() {
        let slot = &mut next[event.kind().index()];
        scratch.by_kind[*slot as usize] = position as u32;
        *slot += 1;
        if let EventData::PersonAdded(added) = &event.data {
            add_person(&mut scratch.people, added);
        }
    }
}

fn add_person(people: &mut Vec<Person>, added: &crate::interchange::PersonAdded) {
    let enhanced_rights = added.enhanced_rights.unwrap_or(true);
    match people.iter_mut().find(|person| person.key == added.person) {
        // A later person_added for the same key is a correction: it replaces the earlier details.
        Some(person) => {
            person.role = added.role;
            person.enhanced_rights = enhanced_rights;
        }
        None => people.push(Person {
            key: added.person.clone(),
            role: added.role,
            enhanced_rights,
        }),
    }
}
