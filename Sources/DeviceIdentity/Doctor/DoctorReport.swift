import Foundation

/// One line of `smartreader doctor`: what was checked, how it went, and what to do about it.
public struct DoctorFinding: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        case passed, warning, failed, skipped
    }

    public var check: String
    public var outcome: Outcome
    public var detail: String
    /// What to do, in plain words; empty when there is nothing to do.
    public var fix: String

    public init(_ check: String, _ outcome: Outcome, _ detail: String, fix: String = "") {
        self.check = check
        self.outcome = outcome
        self.detail = detail
        self.fix = fix
    }
}

/// The doctor's checklist, in the order the checks ran.
public struct DoctorReport: Sendable {
    public var findings: [DoctorFinding] = []

    public init(findings: [DoctorFinding] = []) { self.findings = findings }

    public var hasFailures: Bool { findings.contains { $0.outcome == .failed } }

    public mutating func add(_ finding: DoctorFinding) { findings.append(finding) }

    public var text: String {
        findings.map { finding in
            let mark =
                switch finding.outcome {
                case .passed: "ok  "
                case .warning: "WARN"
                case .failed: "FAIL"
                case .skipped: "skip"
                }
            let line = "\(mark)  \(finding.check): \(finding.detail)"
            return finding.fix.isEmpty ? line : line + "\n      fix: \(finding.fix)"
        }.joined(separator: "\n")
    }

    /// `[{"check":…,"outcome":…,"detail":…,"fix":…}]`, for scripts.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let rows = findings.map { ["check": $0.check, "outcome": $0.outcome.rawValue, "detail": $0.detail, "fix": $0.fix] }
        return String(decoding: (try? encoder.encode(rows)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
