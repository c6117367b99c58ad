// A child process for the I/O tests: things a test cannot do inside its own
// process (be SIGKILLed while writing a result file, finalise MPI, run as
// several MPI ranks under mpirun).
//
//   DiodeIOTestHelper write-tiles PATH DT EPS3 EPS1 [KILL_AFTER KILL_DELAY_US]
//       Creates PATH (or resumes it) for a DT × EPS3 × EPS1 grid and writes
//       every missing tile, in file or random order and random batches of
//       1-8, with `SyntheticTile`'s values, then finishes the file (with or
//       without compression, at random). Prints "wrote D E" for each tile
//       once its batch is on disk and "done" at the end. With KILL_AFTER, a
//       second thread SIGKILLs the process KILL_DELAY_US µs after the
//       KILL_AFTER-th tile of this run was written (0: after start-up),
//       while the main thread keeps writing: a kill at a moment the test
//       picks at random but that does not depend on how fast the test reads
//       our output.
//   DiodeIOTestHelper open-for-resume PATH
//       Opens PATH with ResultFile.openForResume and closes it.
//   DiodeIOTestHelper close-on-full-disk DIRECTORY
//       In DIRECTORY (a file system of a few KiB), creates a file whose
//       close fails for want of space, releases it and its dataset, prints
//       the close's error and exits normally (it crashed in HDF5, issue 13).
//   DiodeIOTestHelper mpi-lifecycle
//       Initialises MPI, reports rank and size, finalises twice, checks that
//       re-initialisation is refused.
//   DiodeIOTestHelper mpi-exchange
//       Under mpirun -np N ≥ 2: broadcast from rank 0, every rank sends to 0,
//       rank 0 polls with iprobe and receives from any source, barrier.
import DiodeHDF5
import DiodeMPI
import DiodeScan
import DiodeTestSupport
import Foundation

/// SIGKILLs this process `delay` µs from now, from another thread.
func scheduleKill(afterMicroseconds delay: UInt32) {
    Thread.detachNewThread {
        usleep(delay)
        kill(getpid(), SIGKILL)
    }
}

func writeTiles(path: String, counts: [Int], kill: (afterTiles: Int, delay: UInt32)?) throws {
    if let kill, kill.afterTiles == 0 { scheduleKill(afterMicroseconds: kill.delay) }
    let axes = ScanAxes(
        eps1: (0..<counts[2]).map { 30 + Double($0) / 10 },
        eps3: (0..<counts[1]).map { 38 + Double($0) },
        dT: (0..<counts[0]).map { 0.5 * Double($0 + 1) })
    let file: ResultFile
    if FileManager.default.fileExists(atPath: path) {
        file = try ResultFile.openForResume(path: path)
        try file.requireSameJob(fingerprint: "kill-test")
    } else {
        let metadata = ScanMetadata(
            parameters: [.init("mu", .double(40))], jobText: "kill test", jobFingerprint: "kill-test",
            softwareVersion: "test", sourceRevision: "test", creationTime: "2026-11-25T00:00:00Z")
        file = try ResultFile.create(path: path, axes: axes, metadata: metadata, overwrite: false)
    }
    let done = try file.completedTiles()
    // Every missing tile, in batches of 1 to 8 tiles (as the scan's
    // BatchedTileWriter does) so that kills land inside batches; in file
    // order (batches of neighbours) or in random order, at random.
    let missingTiles = axes.allTiles.filter { !done.contains($0) }
    var missing = (Bool.random() ? missingTiles : missingTiles.shuffled())[...]
    var written = 0
    while !missing.isEmpty {
        let batch = missing.prefix(Int.random(in: 1...8))
        missing = missing.dropFirst(batch.count)
        try file.write(batch.map { ($0, SyntheticTile.values(for: $0, pointCount: axes.eps1.count)) })
        // The batch is on disk: tell the test (which may kill us any time now).
        for tile in batch {
            written += 1
            if let kill, kill.afterTiles == written { scheduleKill(afterMicroseconds: kill.delay) }
            FileHandle.standardOutput.write(Data("wrote \(tile.indices[0]) \(tile.indices[1])\n".utf8))
        }
    }
    try file.finish(
        run: RunSummary(
            wallTimeSeconds: 0, ranks: 1, threadsPerRank: 1, command: "DiodeIOTestHelper write-tiles",
            endTime: "2026-11-25T00:00:00Z"),
        compression: ResultCompression.allCases.randomElement()!)
    print("done")
}

func mpiLifecycle() throws {
    try MPIEnvironment.initialize()
    print("initialized \(MPIEnvironment.isInitialized) finalized \(MPIEnvironment.isFinalized)")
    print("rank \(try Communicator.world.rank) size \(try Communicator.world.size)")
    try MPIEnvironment.finalize()
    try MPIEnvironment.finalize()
    print("initialized \(MPIEnvironment.isInitialized) finalized \(MPIEnvironment.isFinalized)")
    do {
        try MPIEnvironment.initialize()
        print("reinitialized")
    } catch {
        print("refused: \(error)")
    }
}

func mpiExchange() throws {
    try MPIEnvironment.initialize()
    let world = Communicator.world
    let (rank, size) = (try world.rank, try world.size)
    let local = try world.ranksOnThisNode()
    guard local == size else {
        throw MPIError(call: "test", code: -1, message: "rank \(rank): \(local) ranks on this node, expected \(size)")
    }
    let job = try world.broadcast(rank == 0 ? "job text ✓" : "", root: 0)
    guard job == "job text ✓" else { throw MPIError(call: "test", code: -1, message: "rank \(rank) got '\(job)'") }
    if rank == 0 {
        var received = Set<Int>()
        while received.count < size - 1 {
            guard let envelope = try world.iprobe(from: .any, tag: .any) else { continue }
            let message = try world.receive(Double.self, matching: envelope)
            guard message.tag == 10 + message.source, message.values == [Double(message.source), 0.5] else {
                throw MPIError(call: "test", code: -1, message: "unexpected message \(message.values) tag \(message.tag)")
            }
            let counts = try world.receive(Int64.self, from: .rank(message.source), tag: 99)
            guard counts.values == [Int64(message.source) * 1_000_000_007] else {
                throw MPIError(call: "test", code: -1, message: "unexpected Int64 message \(counts.values)")
            }
            received.insert(message.source)
        }
        print("rank 0 received from \(received.sorted())")
    } else {
        try world.send([Double(rank), 0.5], to: 0, tag: 10 + rank)
        try world.send([Int64(rank) * 1_000_000_007], to: 0, tag: 99)
    }
    try world.barrier()
    try MPIEnvironment.finalize()
}

/// A file whose close meets a full disk: metadata that HDF5 caches and
/// writes only when the file is closed.
func closeOnFullDisk(directory: String) throws {
    let file = try HDF5File.create((directory as NSString).appendingPathComponent("full.h5"), mode: .exclusive)
    let dataset = try file.createDataset("d", of: Double.self, shape: [16], fillValue: .nan)
    do {
        for index in 0..<64 {
            try dataset.setAttribute("text_\(index)", .string(String(repeating: "x", count: 2000)))
        }
        try file.close()
        print("closed")
    } catch {
        print("failed: \(error)")
    }
    try file.close()  // does nothing
    // `dataset` and `file` are released here, and the library's exit follows.
}

let arguments = CommandLine.arguments.dropFirst()
do {
    switch arguments.first {
    case "write-tiles" where arguments.count == 5 || arguments.count == 7:
        let values = Array(arguments)
        let numbers = values[2...].map { Int($0)! }
        let kill = numbers.count == 5 ? (afterTiles: numbers[3], delay: UInt32(numbers[4])) : nil
        try writeTiles(path: values[1], counts: Array(numbers.prefix(3)), kill: kill)
    case "open-for-resume" where arguments.count == 2:
        try ResultFile.openForResume(path: arguments.last!).close()
        print("opened")
    case "close-on-full-disk" where arguments.count == 2:
        try closeOnFullDisk(directory: arguments.last!)
    case "mpi-lifecycle":
        try mpiLifecycle()
    case "mpi-exchange":
        try mpiExchange()
    default:
        FileHandle.standardError.write(Data("usage: see the comment at the top of main.swift\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("DiodeIOTestHelper: \(error)\n".utf8))
    exit(1)
}
