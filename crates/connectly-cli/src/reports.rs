//! `connectly reports list`: the Reports API.

use clap::builder::NonEmptyStringValueParser;
use clap::Subcommand;
use connectly_client::types::ListedReport;
use serde::Serialize;

use crate::output::Printer;
use crate::{business_id, ApiArgs, Connection, Failure};

/// The examples of `connectly reports --help` and `connectly reports list --help`.
pub(crate) const EXAMPLES: &str = "\
Examples:
  export CONNECTLY_API_KEY=... CONNECTLY_BUSINESS_ID=biz_1
  connectly reports list
  connectly reports list --type campaign.daily.v1 --json";

/// `connectly reports ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum ReportsCommand {
    /// List the latest run of each report configured for the business, with a fresh download
    /// URL for its file.
    #[command(after_help = EXAMPLES)]
    List {
        /// Only the reports of this type, e.g. campaign.daily.v1.
        #[arg(long = "type", value_name = "T", value_parser = NonEmptyStringValueParser::new())]
        report_type: Option<String>,
    },
}

/// `reports list`'s `--json` document.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    business_id: String,
    reports: Vec<ListedReport>,
}

pub(crate) async fn run(
    connection: &Connection,
    printer: &Printer,
    api: &ApiArgs,
    command: ReportsCommand,
) -> Result<(), Failure> {
    let business = business_id(api, None)?;
    match command {
        ReportsCommand::List { report_type } => {
            let reports = connection
                .client
                .list_reports(&business, report_type.as_deref())
                .await?;
            if printer.json_mode() {
                return printer.json(&Listed {
                    business_id: business,
                    reports,
                });
            }
            if reports.is_empty() {
                printer.status(match report_type {
                    Some(t) => format!("no reports of type {t} for business {business}"),
                    None => format!("no reports configured for business {business}"),
                });
                return Ok(());
            }
            {
                let rows: Vec<[String; 6]> = reports
                    .iter()
                    .map(|r| {
                        let run = r.last_run.as_ref();
                        let result = run.and_then(|run| run.result.as_ref());
                        let cell = |value: Option<&String>| value.cloned().unwrap_or_default();
                        [
                            r.type_.clone(),
                            r.name.clone(),
                            run.map(|run| run.status.to_string()).unwrap_or_default(),
                            cell(result.and_then(|x| x.created_at.as_ref())),
                            cell(result.and_then(|x| x.expires_at.as_ref())),
                            cell(result.map(|x| &x.url)),
                        ]
                    })
                    .collect();
                printer.table(
                    ["TYPE", "NAME", "LAST RUN", "CREATED", "EXPIRES", "URL"],
                    &rows,
                )
            }
        }
    }
}
