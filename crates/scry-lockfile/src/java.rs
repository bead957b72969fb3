//! Java: Gradle lockfiles and Maven POMs. Ecosystem `Maven`; name `group:artifact`; purl
//! `pkg:maven/<group>/<artifact>@<version>`.
//!
//! - `gradle-lockfile`: `gradle.lockfile` and the older per-configuration
//!   `gradle/dependency-locks/*.lockfile`. Each line `group:artifact:version=configurations`
//!   (the `=…` part is absent in the older format) is a package; `#` comments and the
//!   `empty=` line are skipped.
//! - `maven-pom`: `pom.xml`. The entries of `project/dependencies/dependency` (every scope).
//!   A version is taken literally, or resolved when it holds `${…}` references: properties of
//!   the same POM's `<properties>` (recursively, bounded), `project.version` / `pom.version` /
//!   `version` (the project's version, else its parent's), `project.groupId`,
//!   `project.artifactId`, `project.parent.version`, `project.parent.groupId`. A dependency
//!   without a version takes the one of the same POM's `dependencyManagement`, if any.
//!   Dependencies whose version cannot be resolved (a property defined elsewhere, a parent or
//!   BOM managing the version) and version ranges are skipped with a diagnostic. The XML is
//!   read with quick-xml (no DTD or entity expansion); nesting is bounded.

use std::collections::HashMap;

use quick_xml::events::Event;
use quick_xml::Reader;
use scry_inventory::purl::Purl;
use scry_inventory::{FileInfo, Parsed};

use crate::common::{cataloger, clip, file_name, lossy, parent_name, Collector};

const ECO: &str = "Maven";

/// Deepest XML element nesting read.
const MAX_XML_DEPTH: usize = 100;
/// Deepest chain of property references followed.
const MAX_PROPERTY_DEPTH: usize = 10;
/// Longest resolved version accepted (guards against exponential property expansion).
const MAX_RESOLVED_LEN: usize = 256;

/// The Maven purl.
pub fn purl(group: &str, artifact: &str, version: &str) -> String {
    Purl::new("maven", Some(group), artifact, Some(version)).to_string()
}

fn add(c: &mut Collector<'_>, group: &str, artifact: &str, version: &str) {
    let (group, artifact, version) = (group.trim(), artifact.trim(), version.trim());
    c.add(
        &format!("{group}:{artifact}"),
        version,
        purl(group, artifact, version),
    );
}

// ---------------------------------------------------------------------------------------------
// Gradle

fn wants_gradle(path: &str) -> bool {
    let name = file_name(path);
    name == "gradle.lockfile"
        || (name.ends_with(".lockfile")
            && parent_name(path) == "dependency-locks"
            && path.contains("gradle/dependency-locks/"))
}

fn parse_gradle(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "Gradle lockfile", "gradle-lockfile", ECO);
    let text = lossy(bytes);
    for (no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let coords = line.split_once('=').map_or(line, |(c, _)| c);
        let parts: Vec<&str> = coords.split(':').collect();
        match parts.as_slice() {
            [g, a, v] if !g.is_empty() && !a.is_empty() && !v.is_empty() => add(&mut c, g, a, v),
            _ => c.diag(format_args!(
                "line {}: not group:artifact:version: {:?}",
                no + 1,
                clip(line)
            )),
        }
    }
    c.finish()
}

cataloger!(
    /// `gradle-lockfile`: `gradle.lockfile` and `gradle/dependency-locks/*.lockfile`.
    GradleLockfile,
    "gradle-lockfile",
    wants_gradle,
    parse_gradle
);

// ---------------------------------------------------------------------------------------------
// Maven POM

fn wants_pom(path: &str) -> bool {
    file_name(path) == "pom.xml"
}

#[derive(Default, Clone)]
struct Dep {
    group: String,
    artifact: String,
    version: String,
}

#[derive(Default)]
struct Pom {
    group: String,
    version: String,
    artifact: String,
    parent_group: String,
    parent_version: String,
    properties: HashMap<String, String>,
    deps: Vec<Dep>,
    managed: Vec<Dep>,
}

fn parse_pom(file: &FileInfo<'_>, bytes: &[u8]) -> Parsed {
    let mut c = Collector::new(file, "pom.xml", "maven-pom", ECO);
    let pom = read_pom(&mut c, bytes);
    for d in &pom.deps {
        let (g, a) = (d.group.trim(), d.artifact.trim());
        if g.is_empty() || a.is_empty() {
            c.diag(format_args!(
                "a dependency has no groupId or artifactId ({:?}:{:?})",
                clip(g),
                clip(a)
            ));
            continue;
        }
        let raw = if d.version.trim().is_empty() {
            match pom
                .managed
                .iter()
                .find(|m| m.group.trim() == g && m.artifact.trim() == a)
            {
                Some(m) if !m.version.trim().is_empty() => m.version.trim(),
                _ => {
                    c.diag(format_args!(
                        "{g}:{a}: no version (managed by a parent POM or BOM)"
                    ));
                    continue;
                }
            }
        } else {
            d.version.trim()
        };
        let Some(group) = resolve(&pom, g, 0) else {
            c.diag(format_args!("{g}:{a}: unresolved groupId {:?}", clip(g)));
            continue;
        };
        let Some(version) = resolve(&pom, raw, 0) else {
            c.diag(format_args!(
                "{group}:{a}: unresolved version {:?} (property not defined in this POM)",
                clip(raw)
            ));
            continue;
        };
        if version.starts_with(['[', '(']) || version.contains(',') {
            c.diag(format_args!(
                "{group}:{a}: version range {:?}",
                clip(&version)
            ));
            continue;
        }
        add(&mut c, &group, a, &version);
    }
    c.finish()
}

/// Replaces `${name}` references; None when one cannot be resolved.
fn resolve(pom: &Pom, s: &str, depth: usize) -> Option<String> {
    if !s.contains("${") {
        return Some(s.to_string());
    }
    if depth >= MAX_PROPERTY_DEPTH {
        return None;
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('}')?;
        let key = after[..end].trim();
        let or_parent = |own: &str, parent: &str| -> String {
            if own.trim().is_empty() {
                parent.trim().to_string()
            } else {
                own.trim().to_string()
            }
        };
        let value = match key {
            "project.version" | "pom.version" | "version" => {
                or_parent(&pom.version, &pom.parent_version)
            }
            "project.groupId" | "pom.groupId" | "groupId" => {
                or_parent(&pom.group, &pom.parent_group)
            }
            "project.artifactId" | "pom.artifactId" | "artifactId" => pom.artifact.trim().into(),
            "project.parent.version" | "parent.version" => pom.parent_version.trim().into(),
            "project.parent.groupId" | "parent.groupId" => pom.parent_group.trim().into(),
            _ => pom.properties.get(key)?.trim().to_string(),
        };
        if value.is_empty() {
            return None;
        }
        out.push_str(&resolve(pom, &value, depth + 1)?);
        if out.len() > MAX_RESOLVED_LEN {
            return None;
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    (out.len() <= MAX_RESOLVED_LEN).then_some(out)
}

/// Reads the parts of a POM used above. What was read before an XML error is kept.
fn read_pom(c: &mut Collector<'_>, bytes: &[u8]) -> Pom {
    let mut pom = Pom::default();
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut dep = Dep::default();
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                c.diag(format_args!(
                    "invalid XML near byte {}: {e}",
                    reader.buffer_position()
                ));
                break;
            }
        };
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_XML_DEPTH {
                    c.diag(format_args!(
                        "elements nested deeper than {MAX_XML_DEPTH} levels"
                    ));
                    break;
                }
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
                if in_dep(&stack) == Some(0) {
                    dep = Dep::default();
                }
            }
            Event::Text(t) => match t.unescape() {
                Ok(s) => text.push_str(&s),
                Err(_) => text.push_str(&lossy(&t)),
            },
            Event::CData(t) => text.push_str(&lossy(&t)),
            Event::End(_) => {
                end_element(&mut pom, &stack, &text, &mut dep);
                text.clear();
                stack.pop();
            }
            Event::Eof => {
                if !stack.is_empty() {
                    c.diag(format_args!(
                        "truncated: <{}> is not closed",
                        clip(&stack.join("/"))
                    ));
                }
                break;
            }
            _ => {}
        }
    }
    pom
}

/// Whether the path is inside a dependency element of `project/dependencies` (Some(0): the
/// element itself, Some(1): one of its fields) or of `dependencyManagement`.
fn in_dep(stack: &[String]) -> Option<usize> {
    let s: Vec<&str> = stack.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["project", "dependencies", "dependency"]
        | ["project", "dependencyManagement", "dependencies", "dependency"] => Some(0),
        ["project", "dependencies", "dependency", _]
        | ["project", "dependencyManagement", "dependencies", "dependency", _] => Some(1),
        _ => None,
    }
}

fn end_element(pom: &mut Pom, stack: &[String], text: &str, dep: &mut Dep) {
    let s: Vec<&str> = stack.iter().map(String::as_str).collect();
    let text = text.trim();
    match s.as_slice() {
        ["project", "groupId"] => pom.group = text.into(),
        ["project", "artifactId"] => pom.artifact = text.into(),
        ["project", "version"] => pom.version = text.into(),
        ["project", "parent", "groupId"] => pom.parent_group = text.into(),
        ["project", "parent", "version"] => pom.parent_version = text.into(),
        ["project", "properties", key] => {
            pom.properties.insert((*key).to_string(), text.into());
        }
        ["project", "dependencies", "dependency", field]
        | ["project", "dependencyManagement", "dependencies", "dependency", field] => {
            match *field {
                "groupId" => dep.group = text.into(),
                "artifactId" => dep.artifact = text.into(),
                "version" => dep.version = text.into(),
                _ => {}
            }
        }
        ["project", "dependencies", "dependency"] => pom.deps.push(std::mem::take(dep)),
        ["project", "dependencyManagement", "dependencies", "dependency"] => {
            pom.managed.push(std::mem::take(dep))
        }
        _ => {}
    }
}

cataloger!(
    /// `maven-pom`: the dependencies of `pom.xml` with resolvable versions.
    MavenPom,
    "maven-pom",
    wants_pom,
    parse_pom
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testutil::{has, pairs, run};

    const POM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.example</groupId>
    <artifactId>parent</artifactId>
    <version>2.0.0</version>
  </parent>
  <artifactId>app</artifactId>
  <properties>
    <log4j.version>2.14.1</log4j.version>
    <jackson.major>2.13</jackson.major>
    <jackson.version>${jackson.major}.0</jackson.version>
    <loop.a>${loop.b}</loop.a>
    <loop.b>${loop.a}</loop.b>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>junit</groupId>
        <artifactId>junit</artifactId>
        <version>4.13.2</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${log4j.version}</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>sibling</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>${slf4j.version}</version>
    </dependency>
    <dependency>
      <groupId>x</groupId>
      <artifactId>looped</artifactId>
      <version>${loop.a}</version>
    </dependency>
    <dependency>
      <groupId>org.springframework</groupId>
      <artifactId>spring-core</artifactId>
    </dependency>
    <dependency>
      <groupId>r</groupId>
      <artifactId>ranged</artifactId>
      <version>[1.0,2.0)</version>
    </dependency>
  </dependencies>
  <build><plugins><plugin><groupId>p</groupId><artifactId>q</artifactId><version>9</version></plugin></plugins></build>
</project>
"#;

    #[test]
    fn pom_dependencies() {
        let p = run(&MavenPom, "app/pom.xml", POM);
        let want = [
            ("org.apache.logging.log4j:log4j-core", "2.14.1"),
            ("com.fasterxml.jackson.core:jackson-databind", "2.13.0"),
            ("com.example:sibling", "2.0.0"),
            ("junit:junit", "4.13.2"),
        ];
        assert_eq!(pairs(&p), want.map(|(a, b)| (a.to_string(), b.to_string())));
        assert_eq!(
            p.packages[0].purl,
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        let reasons: Vec<&str> = p.diagnostics.iter().map(|d| d.reason.as_str()).collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons[0].contains("org.slf4j:slf4j-api: unresolved version"));
        assert!(reasons[1].contains("x:looped: unresolved version"));
        assert!(reasons[2].contains("spring-core: no version"));
        assert!(reasons[3].contains("version range"));
    }

    #[test]
    fn pom_truncated_and_garbage() {
        let cut = &POM[..POM.find("<artifactId>jackson-databind").unwrap()];
        let p = run(&MavenPom, "pom.xml", cut);
        assert!(has(&p, "org.apache.logging.log4j:log4j-core", "2.14.1"));
        assert_eq!(p.packages.len(), 1);
        assert!(p.diagnostics.iter().any(|d| d.reason.contains("truncated")));
        let p = run(&MavenPom, "pom.xml", "<project><a></b></project>");
        assert!(p.packages.is_empty());
        assert!(p.diagnostics[0].reason.contains("invalid XML"));
        let deep = "<a>".repeat(10_000);
        let p = run(&MavenPom, "pom.xml", &deep);
        assert!(p.diagnostics[0].reason.contains("nested deeper"));
    }

    #[test]
    fn exponential_properties_are_bounded() {
        let mut props = String::from("<p0>x</p0>");
        for i in 1..40 {
            props.push_str(&format!("<p{i}>${{p{0}}}${{p{0}}}</p{i}>", i - 1));
        }
        let pom = format!(
            "<project><properties>{props}</properties><dependencies><dependency>\
             <groupId>g</groupId><artifactId>a</artifactId><version>${{p39}}</version>\
             </dependency></dependencies></project>"
        );
        let p = run(&MavenPom, "pom.xml", &pom);
        assert!(p.packages.is_empty());
        assert!(p.diagnostics[0].reason.contains("unresolved version"));
    }

    #[test]
    fn gradle_lockfile() {
        let text = "# This is a Gradle generated file for dependency locking.\n\
            com.google.guava:guava:31.1-jre=compileClasspath,runtimeClasspath\n\
            org.slf4j:slf4j-api:1.7.36=runtimeClasspath\n\
            org.slf4j:slf4j-api:1.7.36=testRuntimeClasspath\n\
            junit:junit:4.13.2\n\
            broken-line\n\
            empty=annotationProcessor\n";
        let p = run(&GradleLockfile, "app/gradle.lockfile", text);
        assert_eq!(
            pairs(&p),
            [
                ("com.google.guava:guava", "31.1-jre"),
                ("org.slf4j:slf4j-api", "1.7.36"),
                ("junit:junit", "4.13.2")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(
            p.packages[0].purl,
            "pkg:maven/com.google.guava/guava@31.1-jre"
        );
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].reason.contains("line 6"));
        assert!(wants_gradle(
            "gradle/dependency-locks/compileClasspath.lockfile"
        ));
        assert!(!wants_gradle("other/x.lockfile"));
    }
}
