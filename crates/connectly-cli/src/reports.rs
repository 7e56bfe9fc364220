//! `connectly reports list`: the Reports API.

use clap::builder::NonEmptyStringValueParser;
use clap::Subcommand;
use serde_json::json;

use crate::output;
use crate::{business_id, ApiArgs, Connection, Failure, Global};

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

pub(crate) async fn run(
    connection: &Connection,
    global: &Global,
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
            if global.json {
                output::json(&json!({"businessId": business, "reports": reports}));
            } else if reports.is_empty() {
                match report_type {
                    Some(t) => eprintln!("no reports of type {t} for business {business}"),
                    None => eprintln!("no reports configured for business {business}"),
                }
            } else {
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
                output::table(
                    ["TYPE", "NAME", "LAST RUN", "CREATED", "EXPIRES", "URL"],
                    &rows,
                );
            }
            Ok(())
        }
    }
}
