//! Minimal executables built in code: just enough ELF, Mach-O and PE structure for a parser to
//! find sections, notes and resources, with a Bun module graph or a Node.js SEA blob inside.
//! Nothing here runs; every layout follows the format specifications (and Bun's and Node's
//! serialisers), not a sample file.

/// Bun's trailer.
pub const BUN_TRAILER: &[u8] = b"\n---- Bun! ----\n";

/// One module of a Bun graph.
#[derive(Debug, Clone, Copy)]
pub struct BunModule<'a> {
    /// Bun's name, `/$bunfs/root/…`.
    pub name: &'a str,
    pub contents: &'a [u8],
    pub bytecode: &'a [u8],
}

impl<'a> BunModule<'a> {
    pub fn source(name: &'a str, contents: &'a [u8]) -> Self {
        BunModule {
            name,
            contents,
            bytecode: &[],
        }
    }
}

/// Bun's record layouts: 52-byte records (1.3), 36-byte records (1.1, 1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BunLayout {
    V1_3,
    V1_1,
}

/// A module graph with its footer and trailer, as `toBytes` writes it.
pub fn bun_graph(modules: &[BunModule<'_>], layout: BunLayout) -> Vec<u8> {
    let mut bytes = Vec::new();
    let push = |bytes: &mut Vec<u8>, data: &[u8]| -> [u8; 8] {
        if data.is_empty() {
            return [0; 8];
        }
        let mut pointer = [0u8; 8];
        pointer[..4].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
        pointer[4..].copy_from_slice(&(data.len() as u32).to_le_bytes());
        bytes.extend_from_slice(data);
        bytes.push(0);
        pointer
    };
    let mut records = Vec::new();
    for module in modules {
        let name = push(&mut bytes, module.name.as_bytes());
        let contents = push(&mut bytes, module.contents);
        let bytecode = push(&mut bytes, module.bytecode);
        records.extend(name);
        records.extend(contents);
        records.extend([0u8; 8]); // source map
        records.extend(bytecode);
        if layout == BunLayout::V1_3 {
            records.extend([0u8; 16]); // module info, bytecode origin path
        }
        // encoding latin1, loader js, format esm, side server
        records.extend([1, 1, 1, 0]);
    }
    let table = push(&mut bytes, &records);
    bytes.pop(); // the table has no NUL after it
    let argv = [0u8; 8];
    let byte_count = bytes.len() as u64;
    bytes.extend(byte_count.to_le_bytes());
    bytes.extend(table);
    bytes.extend(0u32.to_le_bytes()); // entry point
    match layout {
        BunLayout::V1_3 => {
            bytes.extend(argv);
            bytes.extend(0u32.to_le_bytes()); // flags
        }
        BunLayout::V1_1 => bytes.extend([0u8; 4]), // padding to 24
    }
    bytes.extend(BUN_TRAILER);
    bytes
}

/// The graph as a section holds it: its length as a u64, then the graph.
pub fn bun_section(graph: &[u8]) -> Vec<u8> {
    let mut section = (graph.len() as u64).to_le_bytes().to_vec();
    section.extend_from_slice(graph);
    section
}

/// An ELF executable with the graph appended, as Bun before 1.2 wrote it: the program, the
/// graph, and the file's total length as a u64.
pub fn bun_appended(program: &[u8], graph: &[u8]) -> Vec<u8> {
    let mut bytes = program.to_vec();
    bytes.extend_from_slice(graph);
    let total = bytes.len() as u64 + 8;
    bytes.extend(total.to_le_bytes());
    bytes
}

/// A Node.js SEA blob in the 20.6–22.19 layout: header, code path, script, assets.
pub fn sea_blob(code_path: &str, script: &[u8], assets: &[(&str, &[u8])]) -> Vec<u8> {
    fn sized(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend((bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    let mut blob = 0x0143_da20u32.to_le_bytes().to_vec();
    let flags: u32 = if assets.is_empty() { 1 } else { 1 | 1 << 3 };
    blob.extend(flags.to_le_bytes());
    sized(&mut blob, code_path.as_bytes());
    sized(&mut blob, script);
    if !assets.is_empty() {
        blob.extend((assets.len() as u64).to_le_bytes());
        for (name, contents) in assets {
            sized(&mut blob, name.as_bytes());
            sized(&mut blob, contents);
        }
    }
    blob
}

fn align(bytes: &mut Vec<u8>, to: usize) {
    while !bytes.len().is_multiple_of(to) {
        bytes.push(0);
    }
}

fn put_u16(bytes: &mut [u8], at: usize, value: u16) {
    bytes[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn put_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

/// A 64-bit little-endian x86-64 ELF executable with the given sections (name, data) and,
/// when `note` is given, a `PT_NOTE` segment holding one note (name, descriptor).
pub fn elf(sections: &[(&str, &[u8])], note: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut file = vec![0u8; 64];
    file[..4].copy_from_slice(b"\x7fELF");
    file[4] = 2; // 64-bit
    file[5] = 1; // little-endian
    file[6] = 1; // version
    put_u16(&mut file, 16, 2); // ET_EXEC
    put_u16(&mut file, 18, 62); // x86-64
    put_u32(&mut file, 20, 1);
    put_u16(&mut file, 52, 64); // header size
    put_u16(&mut file, 54, 56); // program header size
    put_u16(&mut file, 58, 64); // section header size
    // Program headers right after the header.
    if note.is_some() {
        put_u64(&mut file, 32, 64);
        put_u16(&mut file, 56, 1);
        file.extend([0u8; 56]);
    }
    file.extend(b"\x90\x90\xc3 a program");
    let mut placed = Vec::new();
    for (_, data) in sections {
        align(&mut file, 16);
        placed.push((file.len(), data.len()));
        file.extend_from_slice(data);
    }
    if let Some((name, desc)) = note {
        align(&mut file, 4);
        let at = file.len();
        let name_bytes = [name.as_bytes(), b"\0"].concat();
        file.extend((name_bytes.len() as u32).to_le_bytes());
        file.extend((desc.len() as u32).to_le_bytes());
        file.extend(0u32.to_le_bytes());
        file.extend(&name_bytes);
        align(&mut file, 4);
        file.extend_from_slice(desc);
        align(&mut file, 4);
        let size = file.len() - at;
        put_u32(&mut file, 64, 4); // PT_NOTE
        put_u64(&mut file, 64 + 8, at as u64);
        put_u64(&mut file, 64 + 32, size as u64);
        put_u64(&mut file, 64 + 40, size as u64);
        put_u64(&mut file, 64 + 48, 4);
    }
    // Section names.
    let mut names = vec![0u8];
    let mut name_offsets = Vec::new();
    for name in sections.iter().map(|(name, _)| *name).chain([".shstrtab"]) {
        name_offsets.push(names.len() as u32);
        names.extend(name.as_bytes());
        names.push(0);
    }
    let names_at = file.len();
    file.extend(&names);
    align(&mut file, 8);
    let headers_at = file.len();
    file.extend([0u8; 64]); // the null section
    for (index, (at, size)) in placed.iter().chain([&(names_at, names.len())]).enumerate() {
        let mut header = [0u8; 64];
        put_u32(&mut header, 0, name_offsets[index]);
        put_u32(&mut header, 4, if index == sections.len() { 3 } else { 1 }); // STRTAB / PROGBITS
        put_u64(&mut header, 24, *at as u64);
        put_u64(&mut header, 32, *size as u64);
        put_u64(&mut header, 48, 1);
        file.extend(header);
    }
    put_u64(&mut file, 40, headers_at as u64);
    put_u16(&mut file, 60, sections.len() as u16 + 2);
    put_u16(&mut file, 62, sections.len() as u16 + 1);
    file
}

/// A 64-bit little-endian arm64 Mach-O executable with one segment holding one section.
pub fn macho(segment: &str, section: &str, data: &[u8]) -> Vec<u8> {
    let commands_size = 72 + 80;
    let data_at = 32 + commands_size;
    let mut file = vec![0u8; data_at];
    put_u32(&mut file, 0, 0xfeed_facf);
    put_u32(&mut file, 4, 0x0100_000c); // arm64
    put_u32(&mut file, 12, 2); // MH_EXECUTE
    put_u32(&mut file, 16, 1); // one command
    put_u32(&mut file, 20, commands_size as u32);
    let name = |out: &mut [u8], text: &str| out[..text.len()].copy_from_slice(text.as_bytes());
    let command = &mut file[32..];
    put_u32(command, 0, 0x19); // LC_SEGMENT_64
    put_u32(command, 4, commands_size as u32);
    name(&mut command[8..24], segment);
    put_u64(command, 24, 0x1_0000_0000); // vmaddr
    put_u64(command, 32, data.len() as u64);
    put_u64(command, 40, data_at as u64); // fileoff
    put_u64(command, 48, data.len() as u64);
    put_u32(command, 56, 3); // maxprot
    put_u32(command, 60, 3); // initprot
    put_u32(command, 64, 1); // nsects
    let header = &mut command[72..];
    name(&mut header[..16], section);
    name(&mut header[16..32], segment);
    put_u64(header, 32, 0x1_0000_0000);
    put_u64(header, 40, data.len() as u64);
    put_u32(header, 48, data_at as u32);
    file.extend_from_slice(data);
    file
}

/// A universal Mach-O holding the given (cpu type, thin file) slices.
pub fn fat(slices: &[(u32, &[u8])]) -> Vec<u8> {
    let mut file = Vec::new();
    file.extend(0xcafe_babeu32.to_be_bytes());
    file.extend((slices.len() as u32).to_be_bytes());
    let mut offset = 0x1000usize;
    let mut placed = Vec::new();
    for (cpu, thin) in slices {
        file.extend(cpu.to_be_bytes());
        file.extend(0u32.to_be_bytes());
        file.extend((offset as u32).to_be_bytes());
        file.extend((thin.len() as u32).to_be_bytes());
        file.extend(12u32.to_be_bytes());
        placed.push(offset);
        offset = (offset + thin.len()).next_multiple_of(0x1000);
    }
    for ((_, thin), at) in slices.iter().zip(placed) {
        file.resize(at, 0);
        file.extend_from_slice(thin);
    }
    file
}

/// A PE32+ x86-64 executable with the given sections (name, data) and, when `resource` is given,
/// an `.rsrc` section holding one `RCDATA` resource (name, data).
pub fn pe(sections: &[(&str, &[u8])], resource: Option<(&str, &[u8])>) -> Vec<u8> {
    const FILE_ALIGN: usize = 0x200;
    const SECTION_ALIGN: u32 = 0x1000;
    let rsrc = resource.map(|(name, data)| resource_section(name, data));
    let mut all: Vec<(&str, &[u8])> = sections.to_vec();
    if let Some(rsrc) = &rsrc {
        all.push((".rsrc", rsrc.as_slice()));
    }
    let headers_size = (0x40 + 4 + 20 + 240 + 40 * all.len()).next_multiple_of(FILE_ALIGN);
    let mut file = vec![0u8; headers_size];
    file[..2].copy_from_slice(b"MZ");
    put_u32(&mut file, 0x3c, 0x40);
    file[0x40..0x44].copy_from_slice(b"PE\0\0");
    let coff = 0x44;
    put_u16(&mut file, coff, 0x8664);
    put_u16(&mut file, coff + 2, all.len() as u16);
    put_u16(&mut file, coff + 16, 240); // optional header size
    put_u16(&mut file, coff + 18, 0x22); // executable, large address aware
    let optional = coff + 20;
    put_u16(&mut file, optional, 0x20b); // PE32+
    put_u64(&mut file, optional + 24, 0x1_4000_0000); // image base
    put_u32(&mut file, optional + 32, SECTION_ALIGN);
    put_u32(&mut file, optional + 36, FILE_ALIGN as u32);
    put_u16(&mut file, optional + 48, 6); // subsystem version
    put_u32(&mut file, optional + 60, headers_size as u32);
    put_u16(&mut file, optional + 68, 3); // console
    put_u32(&mut file, optional + 108, 16); // data directories
    let table = optional + 240;
    let mut rva = SECTION_ALIGN;
    let mut image_size = SECTION_ALIGN;
    for (index, (name, data)) in all.iter().enumerate() {
        let raw_at = file.len();
        let raw_size = data.len().next_multiple_of(FILE_ALIGN);
        let section_rva = rva;
        let data = if *name == ".rsrc" {
            // Resource data entries hold RVAs: fix them up for where the section landed.
            let mut data = data.to_vec();
            let entry = u32::from_le_bytes(data[data.len() - 4..].try_into().unwrap()) as usize;
            let relative = u32::from_le_bytes(data[entry..entry + 4].try_into().unwrap());
            put_u32(&mut data, entry, relative + section_rva);
            data.truncate(data.len() - 4);
            put_u32(&mut file, optional + 112 + 2 * 8, section_rva);
            put_u32(&mut file, optional + 112 + 2 * 8 + 4, data.len() as u32);
            data
        } else {
            data.to_vec()
        };
        file.extend_from_slice(&data);
        file.resize(raw_at + raw_size.max(FILE_ALIGN), 0);
        let header = table + 40 * index;
        file[header..header + name.len()].copy_from_slice(name.as_bytes());
        put_u32(&mut file, header + 8, data.len() as u32);
        put_u32(&mut file, header + 12, section_rva);
        put_u32(&mut file, header + 16, raw_size.max(FILE_ALIGN) as u32);
        put_u32(&mut file, header + 20, raw_at as u32);
        put_u32(&mut file, header + 36, 0x4000_0040); // initialised data, readable
        rva += (data.len() as u32).max(1).next_multiple_of(SECTION_ALIGN);
        image_size = rva;
    }
    put_u32(&mut file, optional + 56, image_size);
    file
}

/// An `.rsrc` section with one `RCDATA` resource named `name`; the last four bytes say where the
/// data entry is, for [`pe`] to fix its RVA (they are cut off there).
fn resource_section(name: &str, data: &[u8]) -> Vec<u8> {
    // root table → RCDATA table → named entry table → language → data entry → name, data
    let mut out = vec![0u8; 16 + 8 + 16 + 8 + 16 + 8 + 16];
    let table = |out: &mut [u8], at: usize, named: u16, ids: u16| {
        put_u16(out, at + 12, named);
        put_u16(out, at + 14, ids);
    };
    table(&mut out, 0, 0, 1);
    put_u32(&mut out, 16, 10); // RT_RCDATA
    put_u32(&mut out, 20, 0x8000_0000 | 24);
    table(&mut out, 24, 1, 0);
    let name_at = out.len();
    put_u32(&mut out, 40 + 4, 0x8000_0000 | 48);
    table(&mut out, 48, 0, 1);
    put_u32(&mut out, 64, 0x409);
    put_u32(&mut out, 68, 72); // data entry
    let units: Vec<u16> = name.encode_utf16().collect();
    out.extend((units.len() as u16).to_le_bytes());
    for unit in units {
        out.extend(unit.to_le_bytes());
    }
    align(&mut out, 8);
    let data_at = out.len();
    out.extend_from_slice(data);
    align(&mut out, 8);
    put_u32(&mut out, 40, 0x8000_0000 | name_at as u32);
    put_u32(&mut out, 72, data_at as u32);
    put_u32(&mut out, 76, data.len() as u32);
    out.extend(72u32.to_le_bytes());
    out
}
