//! Stagehand library.
