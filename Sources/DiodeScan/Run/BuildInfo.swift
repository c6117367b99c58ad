import CBuildTarget
import Foundation

/// Version and source revision recorded in every result file.
public enum BuildInfo {
    public static let version = "0.1.0"

    /// `DIODESCAN_SOURCE_REVISION` if set (packagers, containers), else
    /// `git describe --always --dirty` of the source tree this binary was
    /// built from (when it is still there), else "unknown".
    public static let sourceRevision: String = {
        if let revision = ProcessInfo.processInfo.environment["DIODESCAN_SOURCE_REVISION"], !revision.isEmpty {
            return revision
        }
        let sourceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", sourceDirectory, "describe", "--always", "--dirty", "--abbrev=12"]
        let output = Pipe()
        git.standardOutput = output
        git.standardError = FileHandle.nullDevice
        do {
            try git.run()
            git.waitUntilExit()
        } catch {
            return "unknown"
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return git.terminationStatus == 0 && !text.isEmpty ? text : "unknown"
    }()

    /// The CPU the Swift code was compiled for: "haswell" for a build with
    /// the tuned flags of scripts/build-flags.sh (AVX2, FMA; such a binary
    /// refuses to start on an older CPU), else the architecture's baseline
    /// ("x86-64"). Benchmarks report it: the same source runs ~15 % faster
    /// tuned (docs/performance.md, "Build target").
    public static let targetCPU = String(cString: diodescan_build_target_cpu())
}
