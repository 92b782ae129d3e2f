//! GD request desk domain (gd-requestbot §2–4). No serenity, hyper or redb types outside store
//! calls; every operation runs in the caller's write transaction and says what the shell must
//! post, so a change and its messages commit together.
//!
//! - [`model`]: requests, opinions, resolutions, and the states derived from them;
//! - [`create`]: the check sequence of `/request create` and the submission;
//! - [`review`]: reviewers' opinions and moderators' resolutions;
//! - [`queue`]: the queue, opened and closed by hand or by itself;
//! - [`trainee`]: trainees' practice reviews, their assessment, promotion and expulsion;
//! - [`reviews`]: every review written, as `/reviews` lists them;
//! - [`report`]: the data of the report charts (`/report`);
//! - [`cooldown`]: cooldowns and bans; [`youtube`]: showcase links;
//! - [`panel`]: who may use the Control Panel API, and in whose name; [`stream`]: the stream's
//!   start and end as the panel announces them.

pub mod cooldown;
pub mod create;
pub mod desk;
pub mod model;
pub mod panel;
pub mod queue;
pub mod report;
pub mod review;
pub mod reviews;
pub mod stream;
pub mod trainee;
pub mod widgets;
pub mod youtube;

pub use model::{Opinion, Request, Resolution};
