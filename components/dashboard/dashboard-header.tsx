import { SignOutButton } from "@/components/wallet/sign-out-button";
import { DashboardTabs } from "./dashboard-tabs";

/** Title, signed-in address, sign-out and the dashboard's tabs. */
export function DashboardHeader({ address, current }: { address: string; current: "/dashboard" | "/dashboard/usage" }) {
  return (
    <div className="space-y-6">
      <header className="flex flex-wrap items-end justify-between gap-4">
        <div className="min-w-0 space-y-1">
          <h1 className="text-3xl font-bold text-fg">Dashboard</h1>
          <p className="text-fg-muted" data-testid="signed-in-as">
            Signed in as <span className="break-all font-mono text-fg">{address}</span>
          </p>
        </div>
        <SignOutButton />
      </header>
      <DashboardTabs current={current} />
    </div>
  );
}
