//! The loaded content, and what applies to a case: the pages for its stage and its open findings,
//! and the signposts whose conditions hold.

use std::collections::BTreeMap;

use domain::Case;
use domain::interchange::EventData;

use crate::model::{Page, Role, Signpost, Stage, Viewer};

/// Validated pages and signposts.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pages: BTreeMap<String, Page>,
    signposts: Vec<Signpost>,
}

/// What the guidance offers for one case, for one reader.
#[derive(Debug, Clone, Default)]
pub struct InContext<'a> {
    /// Pages written for the case's stage (and the reader's role, where known).
    pub stage_pages: Vec<&'a Page>,
    /// For each open finding's rule, the page that explains it (one entry per rule).
    pub finding_pages: Vec<(String, &'a Page)>,
    /// Signposts whose conditions hold, for the reader's role.
    pub signposts: Vec<&'a Signpost>,
}

/// The facts about a case that decide which guidance applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFacts {
    pub stage: Option<Stage>,
    /// Rule ids with an open finding.
    pub open_rules: Vec<String>,
    /// ISO 3166 alpha-2 code of where the offence happened, where recorded.
    pub country: Option<String>,
}

impl CaseFacts {
    /// The facts of a case and its findings (evaluated by `rules`).
    pub fn of_case(
        case: &Case,
        findings: &[domain::rules::Finding],
        rules: &domain::rules::RuleSet,
    ) -> Self {
        let mut open_rules: Vec<String> = findings
            .iter()
            .filter(|f| f.status.is_open())
            .map(|f| rules.rule(f.rule).id.to_string())
            .collect();
        open_rules.sort();
        open_rules.dedup();
        let country = case.events().iter().find_map(|event| match &event.data {
            EventData::ReportReceived(report) => {
                report.location.as_ref().map(|l| l.country.to_string())
            }
            _ => None,
        });
        CaseFacts {
            stage: Some(stage_of(case)),
            open_rules,
            country,
        }
    }

    /// Whether the offence happened outside the United Kingdom (`GB`).
    pub fn abroad(&self) -> bool {
        self.country
            .as_deref()
            .is_some_and(|c| !c.eq_ignore_ascii_case("GB") && !c.eq_ignore_ascii_case("UK"))
    }
}

/// Where a case is, judged from the latest milestone in its record.
pub fn stage_of(case: &Case) -> Stage {
    let mut stage = Stage::Report;
    for event in case.events() {
        let next = match event.data.kind().as_str() {
            "report_received" | "crime_recorded" => Stage::Report,
            "needs_assessment"
            | "written_confirmation_sent"
            | "support_referral"
            | "isva_offered"
            | "forensic_exam_offered" => Stage::FirstResponse,
            "officer_allocated"
            | "statement_taken"
            | "victim_interviewed"
            | "device_extraction"
            | "third_party_request" => Stage::Investigation,
            "suspect_arrested"
            | "suspect_interviewed"
            | "suspect_bailed"
            | "bail_varied"
            | "bail_extended"
            | "suspect_released_rui" => Stage::Suspect,
            "charging_decision" | "cps_referral" => Stage::Charging,
            "suspect_charged" => Stage::Court,
            "case_closed" | "suspect_released_nfa" | "decision_not_to_investigate" => {
                Stage::Closure
            }
            _ => continue,
        };
        if next > stage {
            stage = next;
        }
    }
    stage
}

impl Library {
    pub(crate) fn new(pages: Vec<Page>, signposts: Vec<Signpost>) -> Self {
        Library {
            pages: pages.into_iter().map(|p| (p.id.clone(), p)).collect(),
            signposts,
        }
    }

    /// Every page, in id order, whoever may read it (for indexing and validation).
    pub fn all_pages(&self) -> impl Iterator<Item = &Page> {
        self.pages.values()
    }

    /// Every signpost.
    pub fn all_signposts(&self) -> &[Signpost] {
        &self.signposts
    }

    /// The pages this reader may see.
    pub fn pages(&self, viewer: Viewer) -> impl Iterator<Item = &Page> {
        self.pages.values().filter(move |p| viewer.may_read(p))
    }

    /// One page by id, if it exists and the reader may see it. A restricted page asked for by
    /// someone who may not read it is indistinguishable from a missing one.
    pub fn page(&self, id: &str, viewer: Viewer) -> Option<&Page> {
        self.pages.get(id).filter(|p| viewer.may_read(p))
    }

    pub fn len(&self) -> usize {
        self.pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// The page explaining a rule: the national mapping first, then any page listing the rule.
    pub fn page_for_rule(&self, rule: &str, viewer: Viewer) -> Option<&Page> {
        let mapped = domain::rules::NATIONAL_GUIDANCE
            .iter()
            .find(|(r, _)| *r == rule)
            .and_then(|(_, page)| self.page(page, viewer));
        mapped.or_else(|| {
            self.pages(viewer)
                .find(|p| p.rules.iter().any(|r| r == rule))
        })
    }

    /// What applies to a case with these facts, for this reader.
    pub fn in_context(&self, facts: &CaseFacts, viewer: Viewer) -> InContext<'_> {
        let for_role = |roles: &[Role]| viewer.role().is_none_or(|r| roles.contains(&r));
        let stage_pages = match facts.stage {
            Some(stage) => self
                .pages(viewer)
                .filter(|p| p.stages.contains(&stage) && for_role(&p.roles))
                .collect(),
            None => Vec::new(),
        };
        let finding_pages = facts
            .open_rules
            .iter()
            .filter_map(|rule| Some((rule.clone(), self.page_for_rule(rule, viewer)?)))
            .collect();
        let abroad = facts.abroad();
        let signposts = self
            .signposts
            .iter()
            .filter(|s| for_role(&s.audience))
            .filter(|s| {
                let when = &s.when;
                when.always
                    || (when.abroad && abroad)
                    || facts
                        .stage
                        .is_some_and(|stage| when.stages.contains(&stage))
                    || when.rules.iter().any(|r| facts.open_rules.contains(r))
            })
            .collect();
        InContext {
            stage_pages,
            finding_pages,
            signposts,
        }
    }

    /// A library `times` the size of this one (pages copied under new ids), for benchmarks.
    pub fn replicated(&self, times: usize) -> Library {
        let mut pages = Vec::with_capacity(self.pages.len() * times);
        for copy in 0..times {
            for page in self.pages.values() {
                let mut page = page.clone();
                if copy > 0 {
                    page.id = format!("{}-copy-{copy}", page.id);
                }
                pages.push(page);
            }
        }
        Library::new(pages, self.signposts.clone())
    }
}
