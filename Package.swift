// swift-tools-version:6.0
//
// diodescan: rectification maps of a two-barrier conductor with a Büttiker
// thermalisation probe and self-consistent screening.
//
// Layers (Kwant-style: physics, solvers and I/O kept apart):
//   DiodePhysics  pure Swift: scattering matrices, quadrature, currents, probe
//                 and screening solvers. No MPI, no HDF5.
//   CMPI, CHDF5   thin C shims (system libraries through pkg-config) that
//                 turn Open MPI / HDF5 macros into functions Swift can call.
//   DiodeMPI      idiomatic Swift over CMPI (communicator, messages, abort).
//   CBuildTarget  C: which CPU the binary was tuned for (scripts/build-flags.sh)
//                 and the start-up guard that refuses an older CPU.
//   DiodeHDF5     idiomatic Swift over CHDF5 (files, datasets, attributes,
//                 dimension scales) with handles closed in deinit.
//   DiodeScan     the scan engine: job files, grids, tiles, scheduling across
//                 ranks and threads, result files, resume. Knows grids and
//                 ranks, calls the physics through one entry point.
//   diodescan     the command-line program (point, scan, bench).
import PackageDescription

let package = Package(
    name: "diodescan",
    products: [
        .executable(name: "diodescan", targets: ["diodescan"]),
        .library(name: "DiodePhysics", targets: ["DiodePhysics"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", exact: "1.1.1"),
    ],
    targets: [
        .target(
            name: "DiodePhysics",
            dependencies: [
                .product(name: "ComplexModule", package: "swift-numerics"),
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .target(name: "CBuildTarget"),
        .target(name: "DiodeMPI", dependencies: ["CMPI"]),
        .target(name: "DiodeHDF5", dependencies: ["CHDF5"]),
        .target(
            name: "DiodeScan",
            dependencies: ["DiodePhysics", "DiodeMPI", "DiodeHDF5", "CBuildTarget"]
        ),
        .executableTarget(
            name: "diodescan",
            dependencies: [
                "DiodePhysics", "DiodeScan", "DiodeMPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fixtures shared by the I/O tests and their helper process.
        .target(name: "DiodeTestSupport", dependencies: ["DiodeScan"], path: "Tests/DiodeTestSupport"),
        // Child process of the I/O tests (killed while writing, MPI lifecycle, mpirun).
        .executableTarget(
            name: "DiodeIOTestHelper", dependencies: ["DiodeScan", "DiodeMPI", "DiodeHDF5", "DiodeTestSupport"],
            path: "Tests/DiodeIOTestHelper"),
        .testTarget(name: "DiodePhysicsTests", dependencies: ["DiodePhysics"]),
        .testTarget(name: "DiodeIOTests", dependencies: ["DiodeMPI", "DiodeHDF5", "CHDF5", "CMPI", "DiodeTestSupport"]),
        .testTarget(
            name: "DiodeScanTests", dependencies: ["DiodeScan", "DiodePhysics", "DiodeHDF5", "CHDF5", "DiodeTestSupport"]),
        .testTarget(name: "DiodeCLITests", dependencies: ["diodescan", "DiodeScan", "DiodeTestSupport"]),
    ]
)
