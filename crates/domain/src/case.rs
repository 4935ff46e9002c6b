//! A case: its key and its events in the order the store keeps them (by time, then by arrival).

use std::collections::HashMap;

use crate::interchange::{CaseKey, Event, Record};

/// One case and the whole story recorded for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub key: CaseKey,
    /// Events ordered by `at`; events at the same instant keep their arrival order.
    events: Vec<Event>,
}

impl Case {
    /// A case from its events in arrival order; they are put in time order here.
    pub fn new(key: CaseKey, mut events: Vec<Event>) -> Self {
        // A stable sort: same-instant events keep their line order, as the format requires.
        events.sort_by_key(|event| event.at);
        Case { key, events }
    }

    /// The events, in time order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The end of the investigation as of `now`: the first of its events at or before `now` of
    /// a kind that ends it ([`crate::rules::INVESTIGATION_ENDS`]). The rules find the same event
    /// through their index ([`crate::rules::CaseContext::investigation_ended`]).
    pub fn investigation_ended(&self, now: chrono::DateTime<chrono::Utc>) -> Option<&Event> {
        self.events
            .iter()
            .take_while(|event| event.at <= now)
            .find(|event| crate::rules::INVESTIGATION_ENDS.contains(&event.kind()))
    }

    /// Adds an event, keeping time order (after any event at the same instant).
    pub fn push(&mut self, event: Event) {
        let position = self
            .events
            .partition_point(|existing| existing.at <= event.at);
        self.events.insert(position, event);
    }

    /// Groups records into cases, ordered by force and case reference.
    pub fn group(records: impl IntoIterator<Item = Record>) -> Vec<Case> {
        let mut order: Vec<CaseKey> = Vec::new();
        let mut by_key: HashMap<CaseKey, Vec<Event>> = HashMap::new();
        for record in records {
            by_key
                .entry(record.case)
                .or_insert_with_key(|key| {
                    order.push(key.clone());
                    Vec::new()
                })
                .push(record.event);
        }
        order.sort();
        order
            .into_iter()
            .map(|key| {
                let events = by_key.remove(&key).unwrap_or_default();
                Case::new(key, events)
            })
            .collect()
    }
}
