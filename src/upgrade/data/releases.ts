// Kubernetes minor releases, bundled so that planning works offline.
//
// Sources: kubernetes.io/releases/<minor>/ pages and kubernetes/website data/releases/eol.yaml
// (release dates, end-of-life dates, final patches), patch-release schedules for the supported
// minors (latest patch as of RELEASES_AS_OF), kubeadm's cmd/kubeadm/app/constants
// (SupportedEtcdVersion, CoreDNSVersion) and coredns/deployment CoreDNS-k8s_version.md.
//
// kubeadm changes its etcd (and sometimes CoreDNS) pin in patch releases; `etcd` and `coredns`
// are kubeadm's values for the latest patch where that was confirmed, otherwise the best known
// value, flagged in `notes`. An empty string means unknown. The planner never proposes an etcd or
// CoreDNS older than the one running (kubeadm does not downgrade them either).

export interface ReleaseData {
  minor: string;
  latestPatch: string;
  releaseDate: string;
  endOfLife: string;
  etcd: string;
  coredns: string;
  notes?: string;
}

/** The date the table below was last checked against the sources. */
export const RELEASES_AS_OF = '2026-09-28';

export const RELEASE_DATA: readonly ReleaseData[] = [
  {
    minor: '1.24', latestPatch: 'v1.24.17', releaseDate: '2022-05-03', endOfLife: '2023-07-28', etcd: '3.5.6-0', coredns: 'v1.8.6',
    notes: '1.24.17 was released in August 2023, after end of life, for CVE-2023-3676 and CVE-2023-3955. etcd pin not confirmed for the last patch (1.24.0 shipped 3.5.3-0).',
  },
  {
    minor: '1.25', latestPatch: 'v1.25.16', releaseDate: '2022-08-23', endOfLife: '2023-10-28', etcd: '3.5.6-0', coredns: 'v1.9.3',
    notes: '1.25.16 was released in November 2023, after end of life, for CVE-2023-5528. etcd pin not confirmed for the last patch (1.25.0 shipped 3.5.4-0).',
  },
  {
    minor: '1.26', latestPatch: 'v1.26.15', releaseDate: '2022-12-09', endOfLife: '2024-02-28', etcd: '3.5.10-0', coredns: 'v1.9.3',
    notes: '1.26.15 was released in March 2024, after end of life, to pick up a Go security release.',
  },
  {
    minor: '1.27', latestPatch: 'v1.27.16', releaseDate: '2023-04-11', endOfLife: '2024-07-16', etcd: '3.5.12-0', coredns: 'v1.10.1',
    notes: 'etcd pin not confirmed for the last patch (1.27.0 shipped 3.5.7-0).',
  },
  {
    minor: '1.28', latestPatch: 'v1.28.15', releaseDate: '2023-08-15', endOfLife: '2024-10-22', etcd: '3.5.15-0', coredns: 'v1.10.1',
    notes: 'etcd pin not confirmed for the last patch (1.28.0 shipped 3.5.9-0).',
  },
  {
    minor: '1.29', latestPatch: 'v1.29.15', releaseDate: '2023-12-13', endOfLife: '2025-02-28', etcd: '3.5.16-0', coredns: 'v1.11.1',
    notes: '1.29.15 was released after the 2025-02-28 end of life.',
  },
  {
    minor: '1.30', latestPatch: 'v1.30.14', releaseDate: '2024-04-17', endOfLife: '2025-07-15', etcd: '3.5.21-0', coredns: 'v1.11.3',
    notes: 'etcd and CoreDNS pins not confirmed for the last patch (1.30.0 shipped etcd 3.5.12-0, CoreDNS v1.11.1).',
  },
  { minor: '1.31', latestPatch: 'v1.31.14', releaseDate: '2024-08-13', endOfLife: '2025-11-11', etcd: '3.5.24-0', coredns: 'v1.11.3' },
  { minor: '1.32', latestPatch: 'v1.32.13', releaseDate: '2024-12-11', endOfLife: '2026-02-28', etcd: '3.5.24-0', coredns: 'v1.11.3' },
  { minor: '1.33', latestPatch: 'v1.33.13', releaseDate: '2025-04-23', endOfLife: '2026-06-28', etcd: '3.5.24-0', coredns: 'v1.12.0' },
  {
    minor: '1.34', latestPatch: 'v1.34.12', releaseDate: '2025-08-27', endOfLife: '2026-10-27', etcd: '3.6.5-0', coredns: 'v1.12.1',
    notes: 'A final patch (1.34.13) was scheduled for 2026-10-13, after this table was written.',
  },
  {
    minor: '1.35', latestPatch: 'v1.35.9', releaseDate: '2025-12-17', endOfLife: '2027-02-28', etcd: '3.6.6-0', coredns: 'v1.13.1',
    notes: 'etcd pin is the one of 1.35.0; later patches may pin a newer 3.6.',
  },
  {
    minor: '1.36', latestPatch: 'v1.36.5', releaseDate: '2026-04-22', endOfLife: '2027-06-28', etcd: '3.6.9-0', coredns: 'v1.14.2',
    notes: 'etcd and CoreDNS pins not confirmed.',
  },
  {
    minor: '1.37', latestPatch: 'v1.37.1', releaseDate: '2026-08-26', endOfLife: '2027-10-28', etcd: '', coredns: '',
    notes: "kubeadm's etcd and CoreDNS pins for 1.37 are not known to this table.",
  },
];
