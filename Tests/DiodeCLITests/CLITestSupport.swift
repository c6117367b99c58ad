import Foundation
import XCTest

/// Runs the built `diodescan` executable (it sits next to the test bundle).
struct DiodescanProcess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var executable: URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("diodescan")
        }
        #endif
        return Bundle.main.bundleURL.appendingPathComponent("diodescan")
    }

    /// Runs `diodescan arguments` (or another `program`, e.g. mpirun, with
    /// its own arguments) to completion; `environment` nil inherits ours.
    static func run(_ arguments: [String], program: URL? = nil,
                    environment: [String: String]? = nil) throws -> Output {
        let process = Process()
        process.executableURL = program ?? executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}
