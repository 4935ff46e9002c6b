//! The operations, without HTML: what the pages and the JSON API both do, each through the
//! access-control point and audited in the store. Handlers extract the request, call one of these
//! and render the answer (a page or JSON); nothing here knows which.
//!
//! - [`cases`]: case keys, the viewer's relation to a case, authorising an action, reading a case,
//!   open-case lists and caseloads.
//! - [`caseload`]: an officer's caseload and its filter, a supervisor's team.
//! - [`record`]: recording an event (built once, checked against the format and the case, warned
//!   of breaches) and opening a case.
//! - [`identity`]: unsealing a person's identity.
//! - [`break_glass`]: declaring break-glass access.
//! - [`audit`]: a case's audit records.
//! - [`guidance`]: searching and browsing guidance.
//! - [`report`]: the leaders' report.
//! - [`sharing`]: sharing cases with partners, and what a partner sees.
//! - [`links`]: repeat-suspect links and their review.

pub mod audit;
pub mod break_glass;
pub mod caseload;
pub mod cases;
pub mod guidance;
pub mod identity;
pub mod links;
pub mod record;
pub mod report;
pub mod sharing;
