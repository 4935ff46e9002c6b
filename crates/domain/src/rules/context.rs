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
    /// Age at the time of the offence, where recorded.
    pub age_at_offence: Option<u32>,
}

impl Person {
    /// True when recorded as under 18 at the time of the offence.
    pub fn is_child(&self) -> bool {
        self.age_at_offence.is_some_and(|age| age < 18)
    }
}

/// No event: the end of a chain in the kind index.
const NONE: u32 = u32::MAX;

/// Reusable working memory for evaluating many cases without allocating for each.
///
/// The events of each kind are chained in time order (`next` and `prev` links by position), built
/// in one pass over the case: rules then visit only the kinds they need.
#[derive(Debug)]
pub struct Scratch {
    people: Vec<Person>,
    next: Vec<u32>,
    prev: Vec<u32>,
    head: [u32; Kind::COUNT],
    tail: [u32; Kind::COUNT],
    count: [u32; Kind::COUNT],
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            people: Vec::new(),
            next: Vec::new(),
            prev: Vec::new(),
            head: [NONE; Kind::COUNT],
            tail: [NONE; Kind::COUNT],
            count: [0; Kind::COUNT],
        }
    }
}

/// The events of one kind, in time order from either end.
#[derive(Debug, Clone)]
pub struct KindEvents<'a> {
    events: &'a [Event],
    next: &'a [u32],
    prev: &'a [u32],
    front: u32,
    back: u32,
    remaining: u32,
}

impl<'a> Iterator for KindEvents<'a> {
    type Item = &'a Event;

    #[inline]
    fn next(&mut self) -> Option<&'a Event> {
        if self.remaining == 0 {
            return None;
        }
        let position = self.front as usize;
        self.front = self.next[position];
        self.remaining -= 1;
        self.events.get(position)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining as usize, Some(self.remaining as usize))
    }
}

impl DoubleEndedIterator for KindEvents<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let position = self.back as usize;
        self.back = self.prev[position];
        self.remaining -= 1;
        self.events.get(position)
    }
}

/// A case as the rules see it at `now`.
#[derive(Debug, Clone, Copy)]
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
        let visible = index(all, now, scratch);
        let events = all.get(..visible).unwrap_or(all);
        CaseContext {
            key: &case.key,
            events,
            now,
            config,
            calendar,
            scratch,
        }
    }

    /// The same case, seen with another version's configuration (the index is shared).
    pub fn with_config(self, config: &'a RuleSetConfig) -> Self {
        CaseContext { config, ..self }
    }

    /// The person with this key, if added.
    pub fn person(&self, key: &PersonKey) -> Option<&'a Person> {
        self.people().iter().find(|person| person.key == *key)
    }

    /// Events of one kind, in time order.
    #[inline]
    pub fn of_kind(&self, kind: Kind) -> KindEvents<'a> {
        let scratch: &'a Scratch = self.scratch;
        let k = kind.index();
        KindEvents {
            events: self.events,
            next: &scratch.next,
            prev: &scratch.prev,
            front: scratch.head[k],
            back: scratch.tail[k],
            remaining: scratch.count[k],
        }
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

    /// True when the case has a visible event of this kind.
    #[inline]
    pub fn has(&self, kind: Kind) -> bool {
        self.scratch.count[kind.index()] > 0
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
            .find(|person| person.key == *key)
            .map(|person| person.role)
    }

    /// The first report of the case, from which the Victims' Code timescales run.
    pub fn first_report(&self) -> Option<&'a Event> {
        self.of_kind(Kind::ReportReceived).next()
    }

    /// The end of the investigation: the first event of a kind that ends it
    /// ([`super::INVESTIGATION_ENDS`]: a closure or a decision not to investigate). The rolling
    /// rules and the forensic window stop here (`docs/rules.md`, "What stops a rolling rule");
    /// `None` while the investigation goes on.
    pub fn investigation_ended(&self) -> Option<&'a Event> {
        // The earliest; at the same instant, the kind listed first.
        super::INVESTIGATION_ENDS
            .iter()
            .filter_map(|kind| self.of_kind(*kind).next())
            .min_by_key(|event| event.at)
    }
}

/// Indexes the events at or before `now` (a prefix, as events are in time order) and returns how
/// many there are. One sequential pass finds the prefix too: a binary search would touch events
/// not yet in cache one dependent miss after another, which cost more than the scan.
fn index(events: &[Event], now: DateTime<Utc>, scratch: &mut Scratch) -> usize {
    scratch.people.clear();
    scratch.next.clear();
    scratch.prev.clear();
    scratch.head = [NONE; Kind::COUNT];
    scratch.tail = [NONE; Kind::COUNT];
    scratch.count = [0; Kind::COUNT];
    let mut visible = 0;
    for event in events {
        if event.at > now {
            break;
        }
        let position = visible as u32;
        visible += 1;
        let k = event.kind().index();
        let tail = scratch.tail[k];
        scratch.prev.push(tail);
        scratch.next.push(NONE);
        match scratch.next.get_mut(tail as usize) {
            Some(link) => *link = position,
            None => scratch.head[k] = position,
        }
        scratch.tail[k] = position;
        scratch.count[k] += 1;
        if let EventData::PersonAdded(added) = &event.data {
            add_person(&mut scratch.people, added);
        }
    }
    visible
}

fn add_person(people: &mut Vec<Person>, added: &crate::interchange::PersonAdded) {
    let enhanced_rights = added.enhanced_rights.unwrap_or(true);
    match people.iter_mut().find(|person| person.key == added.person) {
        // A later person_added for the same key is a correction: it replaces the earlier details.
        Some(person) => {
            person.role = added.role;
            person.enhanced_rights = enhanced_rights;
            person.age_at_offence = added.age_at_offence;
        }
        None => people.push(Person {
            key: added.person.clone(),
            role: added.role,
            enhanced_rights,
            age_at_offence: added.age_at_offence,
        }),
    }
}
