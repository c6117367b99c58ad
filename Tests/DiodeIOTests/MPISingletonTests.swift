import DiodeMPI
import XCTest

/// MPI in singleton mode (no launcher): the test process is rank 0 of 1 and
/// talks to itself. MPI stays initialised for the rest of the test process
/// (it cannot be re-initialised after finalisation); finalisation is tested
/// in a child process by IOHelperProcessTests.
final class MPISingletonTests: XCTestCase {
    override func setUpWithError() throws {
        try MPIEnvironment.initialize()
    }

    func testSingletonIsRankZeroOfOne() throws {
        XCTAssertTrue(MPIEnvironment.isInitialized)
        XCTAssertFalse(MPIEnvironment.isFinalized)
        XCTAssertEqual(try Communicator.world.rank, 0)
        XCTAssertEqual(try Communicator.world.size, 1)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(MPIEnvironment.providedThreadLevel), 1)
        XCTAssertTrue(MPIEnvironment.isMainThread)
        XCTAssertEqual(try Communicator.world.ranksOnThisNode(), 1)
        // A second initialisation is a no-op.
        try MPIEnvironment.initialize()
        try Communicator.world.barrier()
    }

    func testSendToSelfIsSeenByIprobeAndReceived() throws {
        let world = Communicator.world
        XCTAssertNil(try world.iprobe(from: .any, tag: .value(11)))
        try world.send([1.5, -2.25, .infinity], to: 0, tag: 11)
        let status = try XCTUnwrap(world.iprobe(from: .rank(0), tag: .value(11)))
        XCTAssertEqual(status.source, 0)
        XCTAssertEqual(status.tag, 11)
        XCTAssertEqual(try status.count(of: Double.self), 3)
        XCTAssertNil(try world.iprobe(from: .any, tag: .value(12)), "no message with another tag")
        let message = try world.receive(Double.self, from: .any, tag: .any)
        XCTAssertEqual(message.values, [1.5, -2.25, .infinity])
        XCTAssertEqual(message.source, 0)
        XCTAssertEqual(message.tag, 11)
        XCTAssertNil(try world.iprobe())
    }

    func testEveryElementTypeRoundTrips() throws {
        let world = Communicator.world
        try world.send([Int64.min, 0, Int64.max], to: 0, tag: 1)
        try world.send([Int32.min, 7], to: 0, tag: 2)
        try world.send([UInt8(0), 255], to: 0, tag: 3)
        try world.send([Double](), to: 0, tag: 4)
        // Receive out of order by tag: matching is by tag, not arrival.
        XCTAssertEqual(try world.receive(UInt8.self, from: 0, tag: 3).values, [0, 255])
        XCTAssertEqual(try world.receive(Int32.self, from: 0, tag: 2).values, [Int32.min, 7])
        XCTAssertEqual(try world.receive(Int64.self, from: 0, tag: 1).values, [Int64.min, 0, Int64.max])
        let empty = try world.receive(Double.self, from: 0, tag: 4)
        XCTAssertEqual(empty.values, [])
        XCTAssertEqual(empty.tag, 4)
    }

    func testBlockingProbeThenReceiveMatching() throws {
        let world = Communicator.world
        try world.send([Int64(42)], to: 0, tag: 5)
        let envelope = try world.probe(from: .any, tag: 5)
        XCTAssertEqual(try envelope.count(of: Int64.self), 1)
        XCTAssertEqual(try world.receive(Int64.self, matching: envelope).values, [42])
    }

    func testLargeNonBlockingSendToSelf() throws {
        // Far beyond the eager limit: a blocking send to self would deadlock.
        let world = Communicator.world
        let values = (0..<300_000).map { Double($0) * 0.5 }
        let request = try world.sendNonBlocking(values, to: 0, tag: 9)
        let message = try world.receive(Double.self, from: 0, tag: 9)
        try request.wait()
        XCTAssertTrue(try request.test())
        XCTAssertEqual(message.values, values)
    }

    func testBroadcastFromRootReturnsPayload() throws {
        let world = Communicator.world
        let job = "[model]\nmu = 40.0 # ε₁ scan ✓\n"
        XCTAssertEqual(try world.broadcast(job, root: 0), job)
        XCTAssertEqual(try world.broadcast([UInt8](), root: 0), [])
        XCTAssertEqual(try world.broadcast([1, 2, 3], root: 0), [1, 2, 3])
    }

    func testInvalidRankThrowsErrorNamingTheCall() throws {
        XCTAssertThrowsError(try Communicator.world.send([1.0], to: 3, tag: 0)) { error in
            let mpiError = error as? MPIError
            XCTAssertEqual(mpiError?.call, "MPI_Send")
            XCTAssertTrue(String(describing: error).hasPrefix("MPI_Send failed: "), "\(error)")
            XCTAssertTrue(String(describing: error).lowercased().contains("rank"), "\(error)")
        }
        XCTAssertThrowsError(try Communicator.world.broadcast("x", root: 2)) { error in
            XCTAssertEqual((error as? MPIError)?.call, "MPI_Bcast")
        }
    }

    func testLocalRankCountReadsOpenMPIEnvironment() throws {
        let saved = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"]
        defer {
            if let saved { setenv("OMPI_COMM_WORLD_LOCAL_SIZE", saved, 1) } else { unsetenv("OMPI_COMM_WORLD_LOCAL_SIZE") }
        }
        unsetenv("OMPI_COMM_WORLD_LOCAL_SIZE")
        XCTAssertNil(MPIEnvironment.localRankCount)
        setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "4", 1)
        XCTAssertEqual(MPIEnvironment.localRankCount, 4)
        setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "zero", 1)
        XCTAssertNil(MPIEnvironment.localRankCount)
    }
}
