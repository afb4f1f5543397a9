import Foundation

/// This process's CPU time and memory, for benchmarks and the fleet report.
enum ProcessResources {
    /// User + system time of this process, or (`children`) of its children waited for so far.
    static func cpuSeconds(children: Bool = false) -> Double {
        var usage = rusage()
        getrusage(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    /// The resident set now (VmRSS), or its peak (VmHWM), from /proc/self/status, in KiB.
    static func residentKiB(peak: Bool = false) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        let field = peak ? "VmHWM:" : "VmRSS:"
        let line = status.split(separator: "\n").first { $0.hasPrefix(field) } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
