import Foundation
import XCTest

/// MPI behaviour that needs its own process: finalisation (once per
/// process) and several ranks under `mpirun`.
final class MPIProcessTests: XCTestCase {
    func testFinalizeOnceAndRefuseReinitialization() throws {
        let result = try Self.run(Self.helperPath(), ["mpi-lifecycle"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(
            result.output.split(separator: "\n").map(String.init),
            [
                "initialized true finalized false",
                "rank 0 size 1",
                "initialized true finalized true",
                "refused: MPI_Init_thread failed: MPI was already finalized in this process and cannot be initialized again",
            ])
    }

    func testPointToPointAndBroadcastAcrossTwoRanksUnderMpirun() throws {
        guard let mpirun = Self.which("mpirun") else { throw XCTSkip("mpirun is not installed") }
        let result = try Self.run(mpirun, ["-np", "2", "--oversubscribe", Self.helperPath(), "mpi-exchange"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("rank 0 received from [1]"), result.output)
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func which(_ name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The DiodeIOTestHelper executable, built next to the test bundle.
    static func helperPath() throws -> String {
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
            URL(fileURLWithPath: CommandLine.arguments[0]),
        ].map { $0.deletingLastPathComponent().appendingPathComponent("DiodeIOTestHelper").path }
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("DiodeIOTestHelper is not built next to the tests (looked at \(candidates))")
        }
        return path
    }
}
