import Foundation

/// Progress of a scan on stderr (rank 0 only): points done of total, rate,
/// estimated time left and the number of non-converged points.
///
/// On a terminal it redraws one line with a bar a few times per second; on a
/// pipe or file (batch jobs) it prints a plain line every `plainInterval`
/// seconds and a final line, so logs stay short.
public final class ProgressReporter {
    public let totalPoints: Int
    public private(set) var donePoints: Int
    public private(set) var nonConverged: Int
    private let pointsAtStart: Int
    private let start = Date()
    private var lastPrint = Date.distantPast
    private let isTerminal: Bool
    private let plainInterval: TimeInterval
    private let enabled: Bool
    private let write: (String) -> Void

    /// - Parameters:
    ///   - alreadyDone: points finished by an earlier run (resume); not counted in the rate.
    ///   - enabled: false for `--quiet`.
    public init(totalPoints: Int, alreadyDone: Int = 0, nonConvergedAlready: Int = 0, enabled: Bool = true,
                isTerminal: Bool = isatty(STDERR_FILENO) != 0, plainInterval: TimeInterval = 10,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.totalPoints = totalPoints
        self.donePoints = alreadyDone
        self.pointsAtStart = alreadyDone
        self.nonConverged = nonConvergedAlready
        self.enabled = enabled
        self.isTerminal = isTerminal
        self.plainInterval = plainInterval
        self.write = write
    }

    public func record(points: Int, nonConverged: Int) {
        donePoints += points
        self.nonConverged += nonConverged
    }

    /// Prints if a refresh is due.
    public func refresh() {
        guard enabled else { return }
        let now = Date()
        let interval = isTerminal ? 0.2 : plainInterval
        guard now.timeIntervalSince(lastPrint) >= interval else { return }
        lastPrint = now
        write(isTerminal ? "\r" + line(now: now, bar: true) + "\u{1B}[K" : line(now: now, bar: false) + "\n")
    }

    /// Prints the final state (ends the terminal line).
    public func finish(_ note: String? = nil) {
        guard enabled else { return }
        let text = line(now: Date(), bar: isTerminal) + (note.map { " — \($0)" } ?? "")
        write(isTerminal ? "\r" + text + "\u{1B}[K\n" : text + "\n")
    }

    /// "[#####.....]  1234/5000 points (24.7%)  310 points/s  ETA 12s  0 not converged"
    func line(now: Date, bar: Bool) -> String {
        let fraction = totalPoints > 0 ? Double(donePoints) / Double(totalPoints) : 1
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(donePoints - pointsAtStart) / elapsed : 0
        var text = ""
        if bar {
            let width = 30
            let filled = min(width, Int(fraction * Double(width)))
            text += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
        }
        text += "\(donePoints)/\(totalPoints) points (\(String(format: "%.1f", 100 * fraction))%)"
        text += "  \(ProgressReporter.formatRate(rate)) points/s"
        let remaining = totalPoints - donePoints
        if remaining > 0 {
            text += rate > 0 ? "  ETA \(ProgressReporter.formatDuration(Double(remaining) / rate))" : "  ETA --"
        } else {
            text += "  elapsed \(ProgressReporter.formatDuration(elapsed))"
        }
        text += "  \(nonConverged) not converged"
        return text
    }

    static func formatRate(_ rate: Double) -> String {
        rate >= 100 ? String(Int(rate.rounded())) : String(format: "%.3g", rate)
    }

    /// 42s, 3m07s, 2h05m
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}
