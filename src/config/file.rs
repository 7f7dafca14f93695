//! The config file (`--config churn.toml`, also `--rules`): column mapping, how the
//! input is written, the defection rules and how value is counted, so a monthly cron
//! job repeats no flags. Flags win over the file; the file wins over churn's defaults.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::load::{Charset, ColumnNames};
use crate::normalize::DecimalMark;
use crate::rules::RuleConfig;
use crate::rules::config::{HistoryConfig, Rules};

/// How the input is written (`[input]`); each key overrides detection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// `,` `;` `tab` or `|`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<Separator>,
    /// `utf-8`, `utf-16le`, `utf-16be` or `windows-1252`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// A strftime format such as `%d.%m.%Y`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    /// `point` or `comma`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimal: Option<DecimalMark>,
    /// The currency of the export's amounts, as it should be shown (`kr`, `€`, `USD`)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// `[input] delimiter`, checked as the file is read, so a bad one is reported at its line.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Separator(pub u8);

impl TryFrom<String> for Separator {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        super::parse_delimiter(&text).map(Separator)
    }
}

impl From<Separator> for String {
    fn from(s: Separator) -> String {
        match s.0 {
            b'\t' => "tab".to_string(),
            b => char::from(b).to_string(),
        }
    }
}

/// `[input] encoding`, checked as the file is read.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Encoding(pub Charset);

impl TryFrom<String> for Encoding {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        super::parse_encoding(&text).map(Encoding)
    }
}

impl From<Encoding> for String {
    fn from(e: Encoding) -> String {
        e.0.name().to_string()
    }
}

impl InputConfig {
    fn is_empty(&self) -> bool {
        *self == InputConfig::default()
    }
}

/// The whole file. Unknown keys are errors, so a typo cannot silently do nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    #[serde(skip_serializing_if = "InputConfig::is_empty")]
    pub input: InputConfig,
    #[serde(skip_serializing_if = "is_default_columns")]
    pub columns: ColumnNames,
    /// Column names of the feedback file (`[feedback_columns]`).
    #[serde(skip_serializing_if = "is_default_columns")]
    pub feedback_columns: ColumnNames,
    /// Feedback reasons by name: a text or code as customers or tills write it (compared
    /// without case, spacing or punctuation) → the named reason it counts as
    /// (`[reasons]`, e.g. `"cmp" = "Competitor cheaper"`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub reasons: std::collections::BTreeMap<String, String>,
    pub history: HistoryConfig,
    pub rules: Rules,
    /// How future value is counted (`[value]`).
    pub value: ValueConfig,
}

/// How future value is counted in every value figure (`[value]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValueConfig {
    /// Yearly discount rate of future revenue (0.10 = 10% a year).
    pub discount: f64,
    /// Share of revenue that is profit (1 = value in revenue).
    pub margin: f64,
    /// The visit model: `auto` (chosen on the data), `bgnbd`, `bgcnbd` or `mbgcnbd`.
    pub model: crate::metrics::btyd::VisitModel,
}

impl Default for ValueConfig {
    fn default() -> Self {
        ValueConfig {
            discount: 0.10,
            margin: 1.0,
            model: crate::metrics::btyd::VisitModel::Auto,
        }
    }
}

fn is_default_columns(c: &ColumnNames) -> bool {
    *c == ColumnNames::default()
}

impl ConfigFile {
    /// Reads a config file; `None` gives the defaults.
    pub fn load(path: Option<&Path>) -> Result<ConfigFile> {
        let Some(path) = path else {
            return Ok(ConfigFile::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the config file", path.display()))?;
        let config: ConfigFile = toml::from_str(&text).map_err(|e| {
            // One line: file:line:column: message (toml's own text spans several lines).
            let at = e.span().map_or(String::new(), |span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!(":{line}:{column}")
            });
            anyhow::anyhow!(
                "{}{at}: {}",
                path.display(),
                e.message().trim_end().replace('\n', " ")
            )
        })?;
        if let Err(e) = config.rule_config().validate() {
            bail!("{}: {e}", path.display());
        }
        if let Err(e) = super::check_discount(config.value.discount)
            .and_then(|()| super::check_margin(config.value.margin))
        {
            bail!("{}: value.{e}", path.display());
        }
        Ok(config)
    }

    pub fn rule_config(&self) -> RuleConfig {
        RuleConfig {
            history: self.history.clone(),
            rules: self.rules.clone(),
        }
    }

    /// The effective settings as TOML, with comments a newcomer can follow.
    pub fn to_toml(&self) -> Result<String> {
        let body = toml::to_string(self)?;
        Ok(format!("{HEADER}{}", annotate(&body)))
    }
}

const HEADER: &str = "\
# churn configuration: use it with `churn scan --config churn.toml`.
# Every customer is judged against their own history; README.md gives each formula.
# A rule can be switched off (enabled = false) or give another status
# (\"active\", \"at_risk\" or \"defected\").
#
# [columns] maps your headers, e.g.  customer = \"Kortnummer\"
# [input] fixes the dialect, e.g.    delimiter = \";\"  date_format = \"%d.%m.%Y\"  currency = \"kr\"
# [value] counts future value, e.g.  discount = 0.08  margin = 0.35

";

/// Adds one comment line above each section.
fn annotate(body: &str) -> String {
    let mut out = String::new();
    for line in body.lines() {
        let note = match line {
            "[history]" => {
                Some("# How much history a customer needs, and the windows compared (days).")
            }
            "[rules.gone]" => Some("# 1. Silent far longer than their own rhythm makes plausible."),
            "[rules.partial_defection]" => Some(
                "# 2. Visit rate fell to max_ratio of their baseline or less (significant at alpha).",
            ),
            "[rules.category_stop]" => Some(
                "# 3. Stopped buying a category bought on at least min_share of baseline visits.",
            ),
            "[rules.spend_drop]" => {
                Some("# 4. Spend per visit fell to max_ratio of their baseline or less.")
            }
            "[rules.slowing]" => Some("# 5. Visits slowed markedly, but not yet by half."),
            "[value]" => Some(
                "# Future value: yearly discount rate, and the share of revenue that is profit.",
            ),
            _ => None,
        };
        if let Some(note) = note {
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str(note);
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_defaults_read_back_as_the_defaults() {
        let text = ConfigFile::default().to_toml().unwrap();
        let back: ConfigFile = toml::from_str(&text).unwrap();
        assert_eq!(back, ConfigFile::default());
        assert!(text.contains("[rules.partial_defection]"));
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let c: ConfigFile =
            toml::from_str("[rules.gone]\nenabled = false\n[columns]\ncustomer = \"Kund\"\n")
                .unwrap();
        assert!(!c.rules.gone.enabled);
        assert_eq!(c.rules.gone.alpha, 0.001);
        assert_eq!(c.columns.customer.as_deref(), Some("Kund"));
        assert!(c.rules.slowing.enabled);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(toml::from_str::<ConfigFile>("[rules.gone]\nalfa = 0.1\n").is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[rules.partial_defection]\nmax_ratio = 2.0\n").unwrap();
        let err = ConfigFile::load(Some(&path)).unwrap_err().to_string();
        assert!(
            err.ends_with("rules.partial_defection.max_ratio must be above 0 and at most 1, got 2"),
            "{err}"
        );
    }
}
