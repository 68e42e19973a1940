import { describe, expect, it } from "vitest";
import { MorRpcError } from "./errors";
import {
  goJsonString,
  jsonString,
  marshalGoValue,
  readGoAddress,
  readGoBigInt,
  readGoHash,
  readGoHexString,
  readGoUint,
  writeGoHexString,
} from "./json";

describe("Go JSON strings", () => {
  it("escapes like Go's encoding/json", () => {
    expect(goJsonString("a<b && c>d")).toBe('"a\\u003cb \\u0026\\u0026 c\\u003ed"');
    expect(goJsonString("\u2028\u2029")).toBe('"\\u2028\\u2029"');
    expect(goJsonString('q"b\\\b\f\n\r\t\u0001\u001f\u007f')).toBe('"q\\"b\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\u007f"');
    expect(goJsonString("é😀/")).toBe('"é😀/"');
  });

  it("turns lone surrogates into U+FFFD, as a Go peer decodes them", () => {
    expect(goJsonString("a\uD800b")).toBe('"a\uFFFDb"');
    expect(jsonString("\uDC00")).toBe('"\uFFFD"');
    expect(goJsonString("😀")).toBe('"😀"');
  });

  it("marshals decoded JSON like Go marshals map[string]interface{}: sorted keys, compact", () => {
    const value = JSON.parse('{"z":1,"a":{"y":[1,2.5,"<"],"b":null},"B":true,"é":1e21,"c":1e-7}');
    expect(marshalGoValue(value)).toBe('{"B":true,"a":{"b":null,"y":[1,2.5,"\\u003c"]},"c":1e-7,"z":1,"é":1e+21}');
  });
});

describe("Go value types", () => {
  it("lib.HexString", () => {
    expect(readGoHexString("0xABcd", "f")).toBe("0xabcd");
    expect(readGoHexString("abc", "f")).toBe("0x0abc");
    expect(readGoHexString("", "f")).toBe("0x");
    expect(() => readGoHexString("0x", "f")).toThrowError(MorRpcError);
    expect(() => readGoHexString("0xzz", "f")).toThrowError(MorRpcError);
    expect(() => readGoHexString(12, "f")).toThrowError(MorRpcError);
    expect(writeGoHexString("0x")).toBe('"0x"');
    expect(writeGoHexString("0xABC")).toBe('"0x0abc"');
  });

  it("common.Address and common.Hash", () => {
    expect(readGoAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "user")).toBe("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc");
    expect(() => readGoAddress("3c44cdddb6a900fa2b585dd299e03d12fa4293bc", "user")).toThrowError(/address/);
    expect(() => readGoAddress("0x3c44", "user")).toThrowError(/address/);
    expect(readGoHash(`0x${"AB".repeat(32)}`, "bidid")).toBe(`0x${"ab".repeat(32)}`);
    expect(() => readGoHash(`0x${"ab".repeat(31)}`, "bidid")).toThrowError(/hash/);
  });

  it("lib.BigInt: decimal string or a bare number that is still exact", () => {
    expect(readGoBigInt("270233162839357259772", "spend")).toBe(270233162839357259772n);
    expect(readGoBigInt(123, "spend")).toBe(123n);
    expect(() => readGoBigInt(270233162839357259772, "spend")).toThrowError(/precision/);
    expect(() => readGoBigInt("0x10", "spend")).toThrowError(MorRpcError);
  });

  it("uint64 timestamps are numbers only", () => {
    expect(readGoUint(1719253477054, "timestamp")).toBe(1719253477054);
    expect(() => readGoUint("1719253477054", "timestamp")).toThrowError(MorRpcError);
    expect(() => readGoUint(-1, "timestamp")).toThrowError(MorRpcError);
    expect(() => readGoUint(1.5, "timestamp")).toThrowError(MorRpcError);
  });
});
