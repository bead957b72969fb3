//! EPSS daily scores: `#model_version:...,score_date:...` then `cve,epss,percentile` rows.

use chrono::NaiveDate;
use scry_advisory::EpssScore;

use crate::{Ctx, Record};

pub fn read(location: &str, bytes: &[u8], ctx: &mut Ctx<'_, '_>) {
    let text = String::from_utf8_lossy(bytes);
    let mut date: Option<NaiveDate> = None;
    let mut body_start = 0;
    if text.starts_with('#') {
        let line = text.lines().next().unwrap_or("");
        body_start = line.len() + 1;
        for field in line.trim_start_matches('#').split(',') {
            if let Some(d) = field.trim().strip_prefix("score_date:") {
                date = d.get(..10).and_then(|d| d.parse().ok());
            }
        }
    }
    let body = text.get(body_start.min(text.len())..).unwrap_or("");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(body.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => return ctx.diag(location, None, format!("not an EPSS CSV: {e}")),
    };
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(c_cve), Some(c_epss), Some(c_pct)) = (col("cve"), col("epss"), col("percentile"))
    else {
        return ctx.diag(
            location,
            None,
            "not an EPSS CSV: the header must have cve, epss and percentile",
        );
    };
    for (i, row) in rdr.records().enumerate() {
        let loc = || format!("{location}:{}", i + 2);
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                ctx.diag(&loc(), None, e.to_string());
                continue;
            }
        };
        let cve = row.get(c_cve).unwrap_or("").trim().to_string();
        let parse = |c: usize| {
            row.get(c)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|f| (0.0..=1.0).contains(f))
        };
        match (cve.starts_with("CVE-"), parse(c_epss), parse(c_pct)) {
            (true, Some(epss), Some(percentile)) => ctx.emit(
                "epss",
                Record::Epss(EpssScore {
                    cve,
                    epss,
                    percentile,
                    date,
                }),
            ),
            _ => ctx.diag(
                &loc(),
                Some(&cve),
                "EPSS row needs a CVE id and two numbers between 0 and 1",
            ),
        }
    }
}
