// A device behind an IOMMU that walks the CPU page table itself (AMD IOMMUv2 PASID/PPR,
// Intel SVM with PASID/PRQ, the POWER9 NPU's nest MMU): the hardware walk that fills its
// IOTLB, and the page-request (PRI) fault the driver resolves with handle_mm_fault — the two
// device-side threads of the series' IOMMU driver models.
//
// drivers/iommu/amd_iommu_v2.c do_fault() (a work item for each PPR: down_read(mmap_sem),
// find_extend_vma, handle_mm_fault, up_read) and drivers/iommu/intel-svm.c
// prq_event_thread() (the same under mmap_sem): the device retries its access after the
// response and the IOMMU walks the page table again.
import { DONE, type Step } from '../../src/index.ts';
import { cpuFault, setSpte, spteKeys, type FaultKinds, type MmState, type NotifierOps } from '../mm/index.ts';

/**
 * The IOMMU's walks of `address` (a daemon, `fills` times): the present PTE's page and write
 * bit go into the IOTLB (our SPTE); a PTE not present fills nothing (the device raises a page
 * request instead, `pageRequestFault`).
 */
export function iotlbFillSteps<D extends object>(kernel: string, address = 0): Step<MmState<D>, number>[] {
  const a = address;
  return [
    {
      label: 'iotlb_fill',
      kernel,
      note: 'hardware walk of the CPU page table (no lock): IOTLB := PTE (page, write bit); a PTE not present raises a page request, no fill',
      reads: [`pte[${a}]`, `pteWrite[${a}]`],
      writes: spteKeys(a, a + 1),
      targets: ['iotlb_fill'],
      do: ({ shared, local }) => {
        const page = shared.pte.get(a) ?? null;
        return { shared: page === null ? shared : setSpte(shared, a, page, shared.pteWrite.get(a)!), local: local - 1 };
      },
      goto: ({ local }) => (local > 0 ? 'iotlb_fill' : DONE),
    },
  ];
}

/** The driver resolving the device's page request for a write to `address`: handle_mm_fault under mmap_sem (may sleep, may map a fresh page). */
export function pageRequestFault<D extends object>(ops: NotifierOps<MmState<D>>, meets: FaultKinds, address = 0): Step<MmState<D>, number | null, any>[] {
  return cpuFault<MmState<D>>(address, ops, meets);
}
