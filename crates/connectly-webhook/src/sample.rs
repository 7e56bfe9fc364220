//! The sample events: the named examples of the spec's `event` callback (generated into
//! `samples.rs`, each with the topic its `x-connectly-topic` names), grouped by topic, and the one check of a `topic` + `sample` choice that
//! `connectly events send` and the mock's delivery endpoint share.

use std::fmt;

use crate::samples::{SAMPLES, TOPICS};

/// A sample event from the spec: what `connectly events send` posts, and what tests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Its name (the example's name in the spec), e.g. `text`, `button`, `failed`, `report`.
    pub name: &'static str,
    /// One line about it.
    pub summary: &'static str,
    /// The JSON body.
    pub body: &'static str,
    /// Its topic: the example's `x-connectly-topic` in the spec (`cargo xtask check` holds it
    /// to one of [`TOPICS`]).
    topic: &'static str,
}

impl Sample {
    /// The sample's topic, as the spec names it (one of [`TOPICS`]; [`crate::parse`] reads the
    /// same topic from its body).
    pub fn topic(&self) -> &'static str {
        self.topic
    }
}

/// Every sample event of the spec, in its order (newest documented forms first).
///
/// ```
/// let names: Vec<&str> = connectly_webhook::samples().map(|s| s.name).collect();
/// assert!(names.contains(&"text") && names.contains(&"button_flag") && names.contains(&"report"));
/// ```
pub fn samples() -> impl Iterator<Item = Sample> {
    SAMPLES.iter().map(|&(name, topic, summary, body)| Sample {
        name,
        summary,
        body,
        topic,
    })
}

/// The sample event called `name`.
pub fn sample(name: &str) -> Option<Sample> {
    samples().find(|s| s.name == name)
}

/// The samples of `topic`, in the spec's order.
pub fn samples_of(topic: &str) -> impl Iterator<Item = Sample> + '_ {
    samples().filter(move |s| s.topic() == topic)
}

/// The sample names of `topic`, in the spec's order: what `events send --help`, the
/// mock's deliver contract and [`SampleError::samples`] list. Empty for an unknown topic.
///
/// ```
/// assert_eq!(connectly_webhook::sample_names("report"), ["report"]);
/// ```
pub fn sample_names(topic: &str) -> Vec<&'static str> {
    samples_of(topic).map(|s| s.name).collect()
}

/// The sample sent when none is named: the first of `topic` in the spec's order (`text` for
/// `messages`, `sent` for `delivery_status`, `report` for `report`).
pub fn default_sample(topic: &str) -> Option<Sample> {
    samples_of(topic).next()
}

/// Why a `topic` + `sample` choice names no sample.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SampleError {
    /// Not one of [`TOPICS`].
    UnknownTopic(String),
    /// No sample has this name.
    UnknownSample {
        /// The sample asked for.
        sample: String,
        /// The topic asked for.
        topic: &'static str,
    },
    /// The sample is of another topic.
    OtherTopic {
        /// The sample asked for.
        sample: &'static str,
        /// The topic asked for.
        topic: &'static str,
        /// The sample's own topic.
        its_topic: &'static str,
    },
}

impl SampleError {
    /// The sample names of the topic asked for (empty for an unknown topic).
    pub fn samples(&self) -> Vec<&'static str> {
        match self {
            SampleError::UnknownTopic(_) => Vec::new(),
            SampleError::UnknownSample { topic, .. } | SampleError::OtherTopic { topic, .. } => {
                sample_names(topic)
            }
        }
    }

    /// `topic` or `sample`: the parameter that was wrong.
    pub fn field(&self) -> &'static str {
        match self {
            SampleError::UnknownTopic(_) => "topic",
            _ => "sample",
        }
    }
}

impl fmt::Display for SampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SampleError::UnknownTopic(topic) => {
                write!(
                    f,
                    "unknown topic {topic:?}: expected one of {}",
                    TOPICS.join(", ")
                )
            }
            SampleError::UnknownSample { sample, topic } => write!(
                f,
                "no sample is called {sample:?}: the samples of topic {topic} are {}",
                self.samples().join(", ")
            ),
            SampleError::OtherTopic {
                sample,
                topic,
                its_topic,
            } => write!(
                f,
                "the sample {sample:?} is of topic {its_topic}, not of {topic}, whose samples are {}",
                self.samples().join(", ")
            ),
        }
    }
}

impl std::error::Error for SampleError {}

/// The sample to send for `topic` and an optional sample name (else the topic's default),
/// checked:
/// the one rule `connectly events send --topic T --sample K` and the mock's
/// `mock/deliver?topic=T&sample=S` share.
///
/// ```
/// use connectly_webhook::choose_sample;
/// assert_eq!(choose_sample("report", None).unwrap().name, "report");
/// assert_eq!(choose_sample("messages", Some("button_flag")).unwrap().name, "button_flag");
/// let error = choose_sample("messages", Some("read")).unwrap_err();
/// assert!(error.to_string().contains("is of topic delivery_status"));
/// ```
pub fn choose_sample(topic: &str, name: Option<&str>) -> Result<Sample, SampleError> {
    let Some(&topic) = TOPICS.iter().find(|t| **t == topic) else {
        return Err(SampleError::UnknownTopic(topic.to_owned()));
    };
    let Some(name) = name else {
        return default_sample(topic).ok_or(SampleError::UnknownSample {
            sample: String::new(),
            topic,
        });
    };
    match sample(name) {
        None => Err(SampleError::UnknownSample {
            sample: name.to_owned(),
            topic,
        }),
        Some(sample) if sample.topic() != topic => Err(SampleError::OtherTopic {
            sample: sample.name,
            topic,
            its_topic: sample.topic(),
        }),
        Some(sample) => Ok(sample),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_has_samples_and_every_sample_a_topic() {
        let names = sample_names;
        assert_eq!(TOPICS, ["messages", "delivery_status", "report"]);
        assert_eq!(
            names("messages"),
            [
                "text",
                "image",
                "video",
                "audio",
                "document",
                "referral",
                "button",
                "button_with_id",
                "button_flag",
                "quoted_reply",
                "bsuid"
            ]
        );
        assert_eq!(
            names("delivery_status"),
            ["sent", "delivered", "read", "failed", "failed_legacy"]
        );
        assert_eq!(names("report"), ["report"]);
        assert_eq!(
            TOPICS.iter().map(|t| names(t).len()).sum::<usize>(),
            samples().count(),
            "no sample outside the topics"
        );
        for (topic, default) in [
            ("messages", "text"),
            ("delivery_status", "sent"),
            ("report", "report"),
        ] {
            assert_eq!(default_sample(topic).map(|s| s.name), Some(default));
            assert_eq!(choose_sample(topic, None).map(|s| s.name), Ok(default));
        }
        assert!(default_sample("nope").is_none());
    }

    #[test]
    fn the_topic_the_spec_names_is_the_topic_parse_reads() {
        for s in samples() {
            let event = crate::parse(s.body.as_bytes()).unwrap();
            assert_eq!(s.topic(), event.topic(), "{}", s.name);
        }
    }

    #[test]
    fn a_choice_is_checked_once_with_a_reason_and_the_topics_samples() {
        assert_eq!(
            choose_sample("delivery_status", Some("failed_legacy")).map(|s| s.name),
            Ok("failed_legacy")
        );
        let error = choose_sample("orders", Some("text")).unwrap_err();
        assert_eq!(error, SampleError::UnknownTopic("orders".into()));
        assert_eq!(error.field(), "topic");
        assert!(error
            .to_string()
            .contains("messages, delivery_status, report"));

        let error = choose_sample("report", Some("sticker")).unwrap_err();
        assert_eq!(error.field(), "sample");
        assert_eq!(error.samples(), ["report"]);
        assert!(error.to_string().contains("\"sticker\""), "{error}");

        let error = choose_sample("delivery_status", Some("button")).unwrap_err();
        assert!(matches!(
            error,
            SampleError::OtherTopic {
                its_topic: "messages",
                ..
            }
        ));
        assert_eq!(error.samples()[0], "sent");
    }
}
