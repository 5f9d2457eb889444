//! Reasoning judges that need no model. [`rubric`]: a reference-free rule score of a
//! trajectory's `<think>` text against what the model saw and did.
pub mod rubric;
