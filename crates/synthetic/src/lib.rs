//! Synthetic RASSO cases: realistic in shape (offence mix, channels, victims and suspects, arrests,
//! bail and released under investigation, victim updates on time and late, supervision, outcomes
//! roughly in the national proportions), deterministic for a seed, and entirely invented.
//!
//! Case `i` of a seed is generated from its own random stream, so any case can be produced alone
//! and large sets can be generated in parallel with identical results.

mod names;
pub mod repeats;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use compact_str::{CompactString, format_compact};
use domain::interchange::*;
use domain::time::in_london;
use domain::{Case, CaseKey, Event, EventData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Settings {
    pub seed: u64,
    /// How many forces the cases are spread over (at least 1).
    pub forces: usize,
    /// Reports fall between `from` and `until`; no event is later than `until`.
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Settings {
    /// Reports over the three years to 1 November 2026.
    pub fn new(seed: u64, forces: usize) -> Self {
        Settings {
            seed,
            forces: forces.max(1),
            from: Utc
                .with_ymd_and_hms(2023, 11, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            until: Utc
                .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
        }
    }
}

/// The force codes cases are spread over.
pub fn force_codes(count: usize) -> Vec<String> {
    (0..count.max(1))
        .map(|index| match names::FORCES.get(index) {
            Some(name) => (*name).to_owned(),
            None => format!(
                "{}-{}",
                names::FORCES[index % names::FORCES.len()],
                index / names::FORCES.len()
            ),
        })
        .collect()
}

/// Generates cases `0..count`.
pub fn cases(settings: &Settings, count: usize) -> impl Iterator<Item = Case> + '_ {
    let forces = force_codes(settings.forces);
    (0..count).map(move |index| case(settings, &forces, index))
}

/// Generates case number `index`.
pub fn case(settings: &Settings, forces: &[String], index: usize) -> Case {
    let mut rng =
        ChaCha8Rng::seed_from_u64(settings.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index as u64);
    let force = &forces[index % forces.len()];
    let mut story = Story::new(&mut rng, settings, force, index);
    story.tell();
    Case::new(story.key, story.events)
}

/// One case being written, event by event.
struct Story<'r> {
    rng: &'r mut ChaCha8Rng,
    key: CaseKey,
    until: DateTime<Utc>,
    report: DateTime<Utc>,
    events: Vec<Event>,
    serial: usize,
}

fn person(key: &str) -> PersonKey {
    CompactString::from(key)
}

impl<'r> Story<'r> {
    fn new(rng: &'r mut ChaCha8Rng, settings: &Settings, force: &str, index: usize) -> Self {
        let span = (settings.until - settings.from).num_seconds().max(1);
        // Reports are spread over the period; the newest cases are still in their first weeks.
        let report = settings.from + Duration::seconds(rng.random_range(0..span));
        let prefix: String = force
            .split('-')
            .filter_map(|part| part.chars().next())
            .chain(force.chars().skip(1).take(1))
            .take(2)
            .collect::<String>()
            .to_ascii_uppercase();
        let year = report.format("%Y");
        Story {
            rng,
            key: CaseKey {
                force: CompactString::from(force),
                reference: format_compact!("{prefix}-{year}-{:06}", index + 1),
            },
            until: settings.until,
            report,
            events: Vec::with_capacity(40),
            serial: 0,
        }
    }

    fn chance(&mut self, probability: f64) -> bool {
        self.rng.random_bool(probability.clamp(0.0, 1.0))
    }

    fn hours(&mut self, low: i64, high: i64) -> Duration {
        Duration::minutes(self.rng.random_range(low * 60..=high.max(low) * 60))
    }

    /// Records an event at `at` unless it would be after the end of the generated period.
    fn add(&mut self, at: DateTime<Utc>, data: EventData) -> bool {
        if at > self.until {
            return false;
        }
        self.serial += 1;
        let mut event = Event::new(in_london(&at), data);
        event.id = Some(format!("{}-{}", self.key.reference, self.serial).into_boxed_str());
        self.events.push(event);
        true
    }

    fn tell(&mut self) {
        let offences = self.offences();
        let serious = offences
            .iter()
            .any(|o| o == "SOA2003-s1" || o == "SOA2003-s2");
        let report_at = self.report;
        self.report_received(&offences, serious);
        self.people(serious);
        let recorded = report_at + self.late_sometimes(0.93, 1, 20, 30, 120);
        self.add(
            recorded,
            EventData::CrimeRecorded(CrimeRecorded {
                offences: offences.clone(),
            }),
        );
        let allocated = report_at + self.hours(1, 30);
        let (oic, supervisor) = (self.collar(), self.collar());
        self.add(
            allocated,
            EventData::OfficerAllocated(OfficerAllocated {
                officer: oic,
                role: OfficerRole::Oic,
            }),
        );
        self.add(
            allocated + Duration::minutes(5),
            EventData::OfficerAllocated(OfficerAllocated {
                officer: supervisor,
                role: OfficerRole::Supervisor,
            }),
        );
        self.victim_code_acts(serious);
        let outcome = self.investigation(serious);
        self.supervision(allocated, outcome.as_ref().map(|(at, _)| *at));
        if let Some((at, outcome)) = outcome {
            self.close(at, outcome);
        }
    }

    /// An offset that is usually within `on_time_hours`, and otherwise later.
    fn late_sometimes(
        &mut self,
        on_time: f64,
        low: i64,
        high: i64,
        late_low: i64,
        late_high: i64,
    ) -> Duration {
        if self.chance(on_time) {
            self.hours(low, high)
        } else {
            self.hours(late_low, late_high)
        }
    }

    fn offences(&mut self) -> Vec<OffenceCode> {
        let roll: f64 = self.rng.random();
        let main = match roll {
            r if r < 0.34 => "SOA2003-s1",
            r if r < 0.40 => "SOA2003-s2",
            r if r < 0.86 => "SOA2003-s3",
            r if r < 0.90 => "SOA2003-s4",
            r if r < 0.95 => "SOA2003-s5",
            r if r < 0.98 => "SOA2003-s9",
            _ => "SOA1956-s1",
        };
        let mut offences = vec![CompactString::from(main)];
        if main == "SOA2003-s1" && self.chance(0.3) {
            offences.push(CompactString::from("SOA2003-s3"));
        }
        offences
    }

    fn report_received(&mut self, offences: &[OffenceCode], serious: bool) {
        let channel = match self.rng.random_range(0..100) {
            0..=24 => Channel::Emergency999,
            25..=59 => Channel::NonEmergency101,
            60..=74 => Channel::Online,
            75..=87 => Channel::InPerson,
            88..=94 => Channel::ThirdParty,
            _ => Channel::Sarc,
        };
        // About a fifth of reports are non-recent: months or years after the offence.
        let delay = if self.chance(0.2) {
            Duration::days(self.rng.random_range(60..3000))
        } else {
            self.hours(1, 96)
        };
        let offence_to = self.report - delay;
        let offence_from = offence_to - self.hours(0, 3);
        let country = if self.chance(0.02) {
            names::ABROAD[self.rng.random_range(0..names::ABROAD.len())]
        } else {
            "GB"
        };
        let mut penetration = Vec::new();
        if serious {
            penetration.push(if self.chance(0.8) {
                Contact::Vaginal
            } else {
                Contact::Anal
            });
            if self.chance(0.3) {
                penetration.push(Contact::Oral);
            }
            if self.chance(0.2) {
                penetration.push(Contact::Skin);
            }
        }
        let report = ReportReceived {
            channel: Some(channel),
            offences: offences.to_vec(),
            offence_from: Some(in_london(&offence_from)),
            offence_to: Some(in_london(&offence_to)),
            location: Some(Location {
                country: CompactString::from(country),
                nation: None,
            }),
            penetration,
        };
        self.add(self.report, EventData::ReportReceived(Box::new(report)));
    }

    fn identity(&mut self, adult: bool) -> Identity {
        let given = names::GIVEN[self.rng.random_range(0..names::GIVEN.len())];
        let family = names::FAMILY[self.rng.random_range(0..names::FAMILY.len())];
        let age_days = if adult {
            self.rng.random_range(18 * 365..70 * 365)
        } else {
            self.rng.random_range(10 * 365..18 * 365)
        };
        let born = (self.report - Duration::days(age_days)).date_naive();
        Identity {
            given_name: Some(given.to_owned()),
            family_name: Some(family.to_owned()),
            date_of_birth: Some(born),
            ..Identity::default()
        }
    }

    fn people(&mut self, serious: bool) {
        let at = self.report + Duration::minutes(10);
        let adult = self.chance(0.85);
        let victim = self.identity(adult);
        let age = age_on(victim.date_of_birth, self.report.date_naive());
        self.add(
            at,
            EventData::PersonAdded(Box::new(PersonAdded {
                person: person("V1"),
                role: Role::Victim,
                identity: Some(victim),
                age_at_offence: age,
                enhanced_rights: None,
            })),
        );
        if self.chance(0.03) {
            let second = self.identity(true);
            self.add(
                at,
                EventData::PersonAdded(Box::new(PersonAdded {
                    person: person("V2"),
                    role: Role::Victim,
                    identity: Some(second),
                    age_at_offence: None,
                    enhanced_rights: None,
                })),
            );
        }
        // Most suspects are known to the victim; about one in seven is not identified.
        if self.chance(0.86) {
            let mut suspect = self.identity(true);
            if self.chance(0.4) {
                suspect.pnc_id = Some(format!(
                    "{:02}/{:06}{}",
                    self.rng.random_range(0..30),
                    self.rng.random_range(0..999_999),
                    (b'A' + self.rng.random_range(0..26u8)) as char
                ));
            }
            self.add(
                at + Duration::minutes(1),
                EventData::PersonAdded(Box::new(PersonAdded {
                    person: person("S1"),
                    role: Role::Suspect,
                    identity: Some(suspect),
                    age_at_offence: None,
                    enhanced_rights: None,
                })),
            );
        }
        if serious && self.chance(0.4) || self.chance(0.15) {
            let witness = self.identity(true);
            self.add(
                at + Duration::minutes(2),
                EventData::PersonAdded(Box::new(PersonAdded {
                    person: person("W1"),
                    role: Role::Witness,
                    identity: Some(witness),
                    age_at_offence: None,
                    enhanced_rights: None,
                })),
            );
        }
    }

    fn has(&self, key: &str) -> bool {
        self.events
            .iter()
            .any(|event| matches!(&event.data, EventData::PersonAdded(p) if p.person == key))
    }

    fn collar(&mut self) -> CompactString {
        format_compact!("{}", self.rng.random_range(1000..9999))
    }

    fn victim_code_acts(&mut self, serious: bool) {
        let report = self.report;
        let v1 = person("V1");
        let at = report + self.late_sometimes(0.9, 2, 40, 50, 200);
        self.add(
            at,
            EventData::NeedsAssessment(NeedsAssessment { person: v1.clone() }),
        );
        let at = report + self.late_sometimes(0.88, 2, 100, 130, 400);
        self.add(
            at,
            EventData::WrittenConfirmationSent(WrittenConfirmationSent { person: v1.clone() }),
        );
        let at = report + self.late_sometimes(0.85, 1, 40, 50, 300);
        let declined = self.chance(0.2);
        self.add(
            at,
            EventData::SupportReferral(SupportReferral {
                person: v1.clone(),
                service: Some(CompactString::from("isva")),
                declined,
            }),
        );
        let at = report + self.late_sometimes(0.87, 0, 40, 50, 300);
        let accepted = Some(self.chance(0.65));
        self.add(
            at,
            EventData::IsvaOffered(IsvaOffered {
                person: v1.clone(),
                accepted,
            }),
        );
        if serious && self.chance(0.8) {
            let at = report + self.hours(0, 30);
            let accepted = Some(self.chance(0.6));
            let sarc = Some(names::SARCS[self.rng.random_range(0..names::SARCS.len())].to_owned());
            self.add(
                at,
                EventData::ForensicExamOffered(ForensicExamOffered {
                    person: v1.clone(),
                    accepted,
                    sarc,
                }),
            );
        }
        let every_days = [14u32, 21, 28][self.rng.random_range(0..3)];
        let agreed = report + self.hours(24, 120);
        self.add(
            agreed,
            EventData::UpdateCadenceAgreed(UpdateCadenceAgreed {
                person: v1.clone(),
                every_days,
                channel: Some(CompactString::from("phone")),
            }),
        );
        // Regular updates, mostly on time, until the period ends.
        let mut last = agreed;
        for _ in 0..self.rng.random_range(0..8) {
            let gap = if self.chance(0.8) {
                i64::from(every_days) - self.rng.random_range(0..5)
            } else {
                i64::from(every_days) + self.rng.random_range(1..20)
            };
            last += Duration::days(gap.max(1)) + self.hours(0, 8);
            if !self.add(
                last,
                EventData::VictimInformed(VictimInformed {
                    person: v1.clone(),
                    about: InformedAbout::Update,
                    reason_given: None,
                }),
            ) {
                break;
            }
        }
        let interviewed = report + self.hours(24, 24 * 14);
        let asked = self.chance(0.9);
        let mode = if self.chance(0.7) {
            InterviewMode::Abe
        } else {
            InterviewMode::Statement
        };
        // Video-recorded interviews are planned the day before, the intermediary considered when the
        // gender preference was asked (no new random draws: the generated stream stays the same).
        if mode == InterviewMode::Abe {
            self.add(
                interviewed - Duration::hours(20),
                EventData::InterviewPlanned(InterviewPlanned {
                    person: v1.clone(),
                    mode: Some(mode),
                    intermediary_considered: asked,
                    intermediary_needed: asked.then_some(false),
                }),
            );
        }
        self.add(
            interviewed,
            EventData::VictimInterviewed(VictimInterviewed {
                person: v1.clone(),
                mode: Some(mode),
                gender_preference_asked: asked,
                further_interview_reason: String::new(),
            }),
        );
        let offered = self.chance(0.9);
        self.add(
            interviewed + Duration::hours(2),
            EventData::StatementTaken(StatementTaken {
                person: v1.clone(),
                evidential: true,
                vps_offered: offered,
            }),
        );
        if !offered {
            // Some victims are interviewed again; the reason is recorded when the preference was
            // asked (derived from earlier draws, so the generated stream is unchanged).
            self.add(
                interviewed + Duration::days(10),
                EventData::VictimInterviewed(VictimInterviewed {
                    person: v1.clone(),
                    mode: Some(mode),
                    gender_preference_asked: asked,
                    further_interview_reason: if asked {
                        "The victim disclosed a further offence".into()
                    } else {
                        String::new()
                    },
                }),
            );
        }
        if self.chance(0.3) {
            let safeguarded = self.chance(0.85);
            let rationale = ExtractionRationale {
                relevance: "Messages between victim and suspect around the time of the offence"
                    .into(),
                necessity: "No other source holds the messages".into(),
                proportionality:
                    "Limited to the conversation and the three days around the offence".into(),
                less_intrusive: if safeguarded {
                    "Screenshots would not show deleted messages".into()
                } else {
                    String::new()
                },
            };
            let at = interviewed + self.hours(24, 24 * 20);
            let agreement_recorded = safeguarded || self.chance(0.5);
            // The phone is taken for the extraction and returned (or kept, with the reason) after
            // it: in a day when safeguarded, else in two.
            self.add(
                at - Duration::hours(2),
                EventData::PropertyTaken(Box::new(PropertyTaken {
                    person: v1.clone(),
                    item: "PH-1".into(),
                    device: true,
                })),
            );
            self.add(
                at,
                EventData::DeviceExtraction(Box::new(DeviceExtraction {
                    person: v1.clone(),
                    notice_given: true,
                    agreement_recorded,
                    rationale,
                    no_undue_pressure: agreement_recorded,
                    confirmation_recorded: agreement_recorded,
                    copy_given: safeguarded,
                    lacks_capacity: false,
                    agreed_by: agreement_recorded.then_some(AgreedBy::User),
                })),
            );
            let returned = at + Duration::hours(if safeguarded { 20 } else { 46 });
            if agreement_recorded {
                self.add(
                    returned,
                    EventData::PropertyReturned(Box::new(PropertyReturned {
                        person: v1.clone(),
                        item: "PH-1".into(),
                    })),
                );
            } else {
                self.add(
                    returned,
                    EventData::PropertyRetained(Box::new(PropertyRetained {
                        person: v1.clone(),
                        item: "PH-1".into(),
                        reason: "Extraction not complete".into(),
                    })),
                );
            }
        }
        if self.chance(0.2) {
            let justified = self.chance(0.8);
            let at = interviewed + self.hours(24, 24 * 30);
            let victim_informed = justified || self.chance(0.5);
            if victim_informed {
                // The written notice (PCSC 2022 s44B) on the morning of the request.
                self.add(
                    at - Duration::hours(2),
                    EventData::InformationNoticeGiven(Box::new(InformationNoticeGiven {
                        person: v1.clone(),
                        holder: "GP practice".into(),
                        content: vec![
                            NoticeContent::InformationSought,
                            NoticeContent::Reason,
                            NoticeContent::Handling,
                        ],
                    })),
                );
            }
            self.add(
                at,
                EventData::ThirdPartyRequest(Box::new(ThirdPartyRequest {
                    person: v1,
                    holder: "GP practice".into(),
                    expected: "A record of injuries seen after the offence".into(),
                    line_of_enquiry: "Corroborates the account of force".into(),
                    necessity: if justified {
                        "No other record of the injuries".into()
                    } else {
                        String::new()
                    },
                    victim_informed,
                    held_because: if justified {
                        "The victim was seen at the practice after the offence".into()
                    } else {
                        String::new()
                    },
                    // The requests without a recorded necessity are to a counselling service.
                    counselling: !justified,
                    probative_value: if !justified && victim_informed {
                        "The only account the victim gave within days of the offence".into()
                    } else {
                        String::new()
                    },
                    notice_withheld_reason: String::new(),
                })),
            );
        }
    }

    /// Tells the victim(s) about a suspect event, usually in time.
    fn tell_victim(&mut self, at: DateTime<Utc>, about: InformedAbout) {
        if self.chance(0.05) {
            return;
        }
        let lag = self.late_sometimes(0.85, 1, 20, 30, 150);
        let victims: Vec<PersonKey> = ["V1", "V2"]
            .iter()
            .filter(|key| self.has(key))
            .map(|key| person(key))
            .collect();
        for victim in victims {
            self.add(
                at + lag,
                EventData::VictimInformed(VictimInformed {
                    person: victim,
                    about,
                    reason_given: None,
                }),
            );
        }
    }

    /// The suspect's path; returns when and how the case closed, if it did.
    fn investigation(&mut self, serious: bool) -> Option<(DateTime<Utc>, CaseClosed)> {
        let s1 = person("S1");
        let identified = self.has("S1");
        let mut at = self.report + self.hours(24, 24 * 20);
        let arrested = identified && self.chance(0.65);
        if arrested {
            self.add(
                at,
                EventData::SuspectArrested(SuspectArrested { person: s1.clone() }),
            );
            self.tell_victim(at, InformedAbout::Arrest);
            at += self.hours(3, 12);
            self.add(
                at,
                EventData::SuspectInterviewed(SuspectInterviewed {
                    person: s1.clone(),
                    under_caution: true,
                }),
            );
            self.tell_victim(at, InformedAbout::Interview);
            at += self.hours(1, 6);
            let roll = self.rng.random_range(0..100);
            if roll < 35 {
                let conditions = self.chance(0.8);
                let views = self.chance(0.85);
                self.add(
                    at,
                    EventData::SuspectBailed(SuspectBailed {
                        person: s1.clone(),
                        conditions,
                        victim_views_sought: views,
                        views_not_practicable: String::new(),
                    }),
                );
                self.tell_victim(at, InformedAbout::Bailed);
                if self.chance(0.4) {
                    let until = (at + Duration::days(170)).date_naive();
                    let authority = if self.chance(0.9) {
                        BailAuthority::Inspector
                    } else {
                        BailAuthority::Superintendent
                    };
                    self.add(
                        at + Duration::days(80),
                        EventData::BailExtended(BailExtended {
                            person: s1.clone(),
                            until,
                            authorised_by: authority,
                            designated_case: false,
                        }),
                    );
                }
                at += Duration::days(self.rng.random_range(20..200));
                self.add(at, EventData::BailEnded(BailEnded { person: s1.clone() }));
            } else if roll < 75 {
                self.add(
                    at,
                    EventData::SuspectReleasedRui(SuspectReleasedRui { person: s1.clone() }),
                );
                self.tell_victim(at, InformedAbout::Rui);
                at += Duration::days(self.rng.random_range(30..500));
            } else {
                self.add(
                    at,
                    EventData::SuspectReleasedNfa(SuspectReleasedNfa { person: s1.clone() }),
                );
                self.tell_victim(at, InformedAbout::ReleasedNfa);
            }
        }
        if !identified && self.chance(0.1) {
            let decided = self.report + self.hours(24, 24 * 10);
            self.add(
                decided,
                EventData::DecisionNotToInvestigate(Box::new(DecisionNotToInvestigate {
                    reason: "No lines of enquiry could identify the suspect".into(),
                })),
            );
            self.tell_victim(decided, InformedAbout::NotInvestigated);
        }
        let age_days = (self.until - self.report).num_days();
        // Older cases are more likely to have closed.
        let closed = self.chance((age_days as f64 / 540.0).min(0.85));
        if !closed {
            return None;
        }
        at = at.max(self.report + Duration::days(self.rng.random_range(20..400)));
        if at > self.until {
            return None;
        }
        let roll = self.rng.random_range(0..1000);
        let outcome = if identified && roll < 40 {
            self.charge(at, serious);
            CaseClosed {
                outcome: 1,
                suspect_identified: Some(true),
                victim_supports: Some(true),
            }
        } else if roll < 330 {
            CaseClosed {
                outcome: if identified { 16 } else { 14 },
                suspect_identified: Some(identified),
                victim_supports: Some(false),
            }
        } else if roll < 560 && identified {
            CaseClosed {
                outcome: 15,
                suspect_identified: Some(true),
                victim_supports: Some(true),
            }
        } else if roll < 600 && !identified {
            CaseClosed {
                outcome: 18,
                suspect_identified: Some(false),
                victim_supports: None,
            }
        } else if roll < 620 {
            // A few closures recorded inconsistently, as real data has.
            CaseClosed {
                outcome: 15,
                suspect_identified: Some(identified),
                victim_supports: Some(false),
            }
        } else if roll < 700 {
            CaseClosed {
                outcome: 21,
                suspect_identified: Some(identified),
                victim_supports: None,
            }
        } else {
            CaseClosed {
                outcome: if identified { 16 } else { 14 },
                suspect_identified: Some(identified),
                victim_supports: Some(false),
            }
        };
        if outcome.outcome == 15 || outcome.outcome == 16 {
            self.tell_victim(at, InformedAbout::Outcome);
        }
        if outcome.outcome == 16 && identified && arrested && self.chance(0.05) {
            let requested = at + Duration::days(self.rng.random_range(5..60));
            self.add(
                requested,
                EventData::VrrRequested(VrrRequested {
                    person: person("V1"),
                }),
            );
            let ack = requested + self.late_sometimes(0.9, 24, 24 * 12, 24 * 15, 24 * 30);
            self.add(
                ack,
                EventData::VrrAcknowledged(VrrAcknowledged {
                    person: person("V1"),
                }),
            );
        }
        Some((at, outcome))
    }

    fn charge(&mut self, at: DateTime<Utc>, serious: bool) {
        let s1 = person("S1");
        let offences: Vec<OffenceCode> = self
            .events
            .iter()
            .find_map(|event| match &event.data {
                EventData::CrimeRecorded(recorded) => Some(recorded.offences.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let by = if serious || self.chance(0.5) {
            ChargingBody::Cps
        } else {
            ChargingBody::Police
        };
        let threshold = self.chance(0.1);
        let conditions = if threshold {
            vec![
                ThresholdCondition::InsufficientNow,
                ThresholdCondition::FurtherEvidenceExpected,
                ThresholdCondition::Seriousness,
                ThresholdCondition::BailGrounds,
            ]
        } else {
            Vec::new()
        };
        let decision = ChargingDecision {
            person: s1.clone(),
            by: Some(by),
            decision: Some(ChargingOutcome::Charge),
            test: Some(if threshold {
                CodeTest::Threshold
            } else {
                CodeTest::FullCode
            }),
            threshold_conditions: conditions,
            offences: offences.clone(),
        };
        self.add(
            at - Duration::days(2),
            EventData::ChargingDecision(Box::new(decision)),
        );
        self.add(
            at - Duration::days(1),
            EventData::SuspectCharged(SuspectCharged {
                person: s1,
                offences,
            }),
        );
        self.tell_victim(at - Duration::days(1), InformedAbout::Charged);
    }

    fn supervision(&mut self, allocated: DateTime<Utc>, closed: Option<DateTime<Utc>>) {
        let end = closed.unwrap_or(self.until).min(self.until);
        let mut at = allocated + self.late_sometimes(0.85, 24, 24 * 7, 24 * 8, 24 * 20);
        let officer = self.collar();
        while at < end {
            self.add(
                at,
                EventData::SupervisorReview(Box::new(SupervisorReview {
                    officer: officer.clone(),
                    note: "Reviewed the plan and the victim's needs".into(),
                })),
            );
            let gap = self.late_sometimes(0.8, 24 * 14, 24 * 28, 24 * 29, 24 * 60);
            at += gap;
        }
        if self.chance(0.5) {
            let at = allocated + self.hours(2, 48);
            let officer = self.collar();
            self.add(at, EventData::DecisionRecorded(Box::new(DecisionRecorded { topic: "investigation_strategy".into(), decision: "Focus on the suspect's conduct before and after the offence".into(), rationale: "The account and the relationship point to a pattern of controlling behaviour".into(), officer })));
        }
    }

    fn close(&mut self, at: DateTime<Utc>, outcome: CaseClosed) {
        self.add(at, EventData::CaseClosed(outcome));
    }
}

fn age_on(born: Option<NaiveDate>, on: NaiveDate) -> Option<u32> {
    let born = born?;
    let years = on.years_since(born)?;
    Some(years)
}

/// The instant generation is anchored at by default, for evaluating generated cases.
pub fn default_now() -> DateTime<FixedOffset> {
    in_london(&Settings::new(0, 1).until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::RuleSet;
    use domain::interchange::parse_record;

    #[test]
    fn the_same_seed_gives_the_same_cases() {
        let settings = Settings::new(7, 3);
        let a: Vec<Case> = cases(&settings, 50).collect();
        let b: Vec<Case> = cases(&settings, 50).collect();
        assert_eq!(a, b);
        let other: Vec<Case> = cases(&Settings::new(8, 3), 50).collect();
        assert_ne!(a, other);
    }

    #[test]
    fn generated_events_are_valid_interchange_and_round_trip() {
        let settings = Settings::new(1, 2);
        for case in cases(&settings, 200) {
            for event in case.events() {
                let record = Record {
                    case: case.key.clone(),
                    event: event.clone(),
                };
                let parsed = parse_record(&record.to_line()).expect("valid line");
                assert_eq!(parsed, record);
                assert!(event.at.with_timezone(&Utc) <= settings.until);
            }
        }
    }

    #[test]
    fn the_mix_looks_like_national_figures() {
        let settings = Settings::new(3, 4);
        let all: Vec<Case> = cases(&settings, 4000).collect();
        let events: usize = all.iter().map(|case| case.events().len()).sum();
        let average = events as f64 / all.len() as f64;
        assert!(
            (15.0..45.0).contains(&average),
            "about 30 events a case, got {average}"
        );
        let closed_with = |outcome: u32| {
            all.iter()
                .filter(|case| {
                    case.events().iter().any(
                        |e| matches!(&e.data, EventData::CaseClosed(c) if c.outcome == outcome),
                    )
                })
                .count() as f64
                / all.len() as f64
        };
        let charged = closed_with(1);
        assert!(
            (0.005..0.06).contains(&charged),
            "a few per cent charged, got {charged}"
        );
        let victim_does_not_support = closed_with(14) + closed_with(16);
        assert!(victim_does_not_support > charged * 3.0);
        let open = all
            .iter()
            .filter(|case| !case.events().iter().any(|e| e.kind() == Kind::CaseClosed))
            .count();
        assert!(open * 5 > all.len(), "many cases still open");
        // Every national rule fires somewhere in a few thousand cases.
        let rules = RuleSet::national();
        let mut seen = vec![false; rules.rules().len()];
        for case in &all {
            for finding in rules.evaluate(case, settings.until) {
                seen[usize::from(finding.rule.0)] = true;
            }
        }
        let missing: Vec<&str> = rules
            .rules()
            .iter()
            .zip(&seen)
            .filter(|(_, seen)| !**seen)
            .map(|(rule, _)| rule.id.as_ref())
            .collect();
        assert!(missing.is_empty(), "rules never triggered: {missing:?}");
    }

    #[test]
    fn force_codes_are_valid_and_distinct() {
        let codes = force_codes(60);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 60);
        assert!(codes.iter().all(|c| {
            c.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        }));
    }
}
