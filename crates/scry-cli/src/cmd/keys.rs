//! `scry keys`.

use std::process::ExitCode;

use anyhow::bail;

use crate::args::{KeysCommand, KeysFormat};

pub fn run(c: KeysCommand) -> anyhow::Result<ExitCode> {
    match c {
        KeysCommand::Create {
            data_dir,
            account,
            role,
            format,
        } => {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                bail!("--account must be 12 digits, as AWS account ids are (e.g. 111122223333)");
            }
            let (store, master) = scry_server::open_data_dir(
                &data_dir,
                std::env::var("SCRY_MASTER_KEY").ok().as_deref(),
            )?;
            let id = scry_sigv4::generate_access_key_id()
                .map_err(|e| anyhow::anyhow!("generating a key id: {e}"))?;
            let secret = scry_sigv4::generate_secret()
                .map_err(|e| anyhow::anyhow!("generating a secret: {e}"))?;
            store.create_key(
                &master,
                &id,
                &secret,
                &account,
                &role,
                chrono::Utc::now().timestamp_millis(),
            )?;
            match format {
                KeysFormat::Json => println!(
                    "{}",
                    serde_json::json!({"accessKeyId": id, "secretAccessKey": secret, "accountId": account, "role": role})
                ),
                KeysFormat::Text => {
                    println!("accessKeyId      {id}");
                    println!("secretAccessKey  {secret}");
                    println!("accountId        {account}");
                    println!("role             {role}");
                    eprintln!("The secret is shown once. Use it with the AWS CLI:\n  AWS_ACCESS_KEY_ID={id} AWS_SECRET_ACCESS_KEY=... aws inspector2 list-findings --endpoint-url http://127.0.0.1:8080 --region us-east-1");
                }
            }
        }
        KeysCommand::List {
            data_dir,
            account,
            format,
        } => {
            let (store, _) = scry_server::open_data_dir(
                &data_dir,
                std::env::var("SCRY_MASTER_KEY").ok().as_deref(),
            )?;
            let keys = store.list_keys(account.as_deref())?;
            match format {
                KeysFormat::Json => {
                    let v: Vec<_> = keys
                        .iter()
                        .map(|(id, acc, role, created, disabled)| {
                            serde_json::json!({"accessKeyId": id, "accountId": acc, "role": role, "createdAt": *created as f64 / 1000.0, "disabled": disabled})
                        })
                        .collect();
                    println!("{}", serde_json::Value::Array(v));
                }
                KeysFormat::Text => {
                    println!(
                        "{:<22} {:<12} {:<7} STATUS",
                        "ACCESS KEY ID", "ACCOUNT", "ROLE"
                    );
                    for (id, acc, role, _, disabled) in keys {
                        println!(
                            "{id:<22} {acc:<12} {role:<7} {}",
                            if disabled { "disabled" } else { "active" }
                        );
                    }
                }
            }
        }
        KeysCommand::Disable {
            data_dir,
            access_key_id,
        } => {
            let (store, _) = scry_server::open_data_dir(
                &data_dir,
                std::env::var("SCRY_MASTER_KEY").ok().as_deref(),
            )?;
            if !store.disable_key(&access_key_id)? {
                bail!("no access key {access_key_id} in {}", data_dir.display());
            }
            eprintln!("disabled {access_key_id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
