import XCTest
@testable import DiodeScan

final class ScanGridTests: XCTestCase {
    func testTilesAreEps1LinesInStorageOrder() {
        let grid = ScanGrid(eps1: [1, 2, 3, 4], eps3: [10, 20, 30], dT: [0.5, 1])
        XCTAssertEqual(grid.pointCount, 24)
        XCTAssertEqual(grid.tileCount, 6)
        XCTAssertEqual(grid.pointsPerTile, 4)
        var seen: [Int] = []
        for dT in 0..<2 {
            for eps3 in 0..<3 {
                let number = grid.axes.tileNumber(TileIndex(dT: dT, eps3: eps3))
                XCTAssertEqual(grid.tile(number), [dT, eps3])
                seen.append(number)
            }
        }
        XCTAssertEqual(seen, Array(0..<6))
    }
}
