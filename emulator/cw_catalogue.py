"""What a ConnectWise security role is made of: modules › functions, and the Table Setup screens.

The UI labels (module › function, "Category / Name" of setup screens) follow ConnectWise's setup
guides. The identifier strings (``moduleIdentifier``, ``moduleFunctionIdentifier``) are not
published anywhere: the ones below are this emulator's own (see README, "Unknown vendor behaviour").
"""

# (moduleIdentifier, moduleName, moduleDescription, [(functionName, description, myAllFlag, customizeIdentifier)])
# customizeIdentifier marks a function whose settings carry a customize ("Allow access to these") list.
_MODULES = [
    ("Company", "Companies", "Companies, contacts and configurations", [
        ("Company Maintenance", "Add, edit and view companies", True, None),
        ("Company Finance", "Billing and finance details of a company", False, None),
        ("Company/Contact Group Maintenance", "Marketing groups of companies and contacts", False, None),
        ("Configurations", "Configuration items of a company", True, "CompanyConfigurations"),
        ("Contacts", "Contacts of a company", True, None),
        ("CRM/Notes", "Company and contact notes", True, None),
        ("Manage Attachments", "Documents attached to companies and contacts", True, None),
        ("Team Members", "Account team of a company", False, None),
        ("Company Tracks", "Activity tracks applied to companies", True, None),
    ]),
    ("Finance", "Finance", "Agreements, invoicing and accounting", [
        ("Agreements", "Service agreements", True, "FinanceAgreements"),
        ("Agreement Sales", "Sales figures of agreements", False, None),
        ("Agreement Invoicing", "Invoice agreements", False, None),
        ("Billing View Time", "Time entries in billing view", False, None),
        ("Invoicing", "Create and edit invoices", True, None),
        ("Invoice Approval", "Approve invoices before posting", False, None),
        ("GL Interface", "Export transactions to the accounting package", False, None),
        ("Billing Reconciliation", "Reconcile billed items", False, None),
        ("Accounting Batches", "Create and review accounting batches", False, None),
    ]),
    ("Marketing", "Marketing", "Campaigns and groups", [
        ("Campaigns", "Marketing campaigns", True, None),
        ("Groups", "Marketing groups", True, None),
        ("Marketing Manager", "Marketing manager workspace", False, None),
        ("Email Campaigns", "Email campaign delivery", False, None),
    ]),
    ("Procurement", "Procurement", "Products, purchasing and inventory", [
        ("Product Catalog", "Catalog items", False, None),
        ("Purchase Orders", "Purchase orders", True, None),
        ("Purchasing Approvals", "Approve purchase orders", False, None),
        ("Inventory Adjustments", "Adjust warehouse inventory", False, None),
        ("Receive Products", "Receive products into a warehouse", False, None),
        ("Product Picking/Shipping", "Pick and ship products", False, None),
        ("RMA", "Return merchandise authorisations", True, None),
    ]),
    ("Project", "Project", "Projects, phases and project tickets", [
        ("Project Headers", "Projects", True, None),
        ("Project Tickets", "Tickets of a project", True, None),
        ("Project Finance", "Financial details of projects", False, None),
        ("Project Templates", "Project templates", False, None),
        ("Project Scheduling", "Schedule project resources", True, "ProjectScheduling"),
        ("Project Notes", "Notes of a project", True, None),
        ("Project Team", "Project team members", False, None),
    ]),
    ("Sales", "Sales", "Opportunities, quotes and orders", [
        ("Opportunity", "Sales opportunities", True, None),
        ("Forecast", "Opportunity forecasts", True, None),
        ("Sales Activities", "Sales activities", True, None),
        ("Sales Orders", "Sales orders", True, None),
        ("Sales Orders Finance", "Financial details of sales orders", False, None),
        ("Sales Funnel", "Sales funnel view", True, None),
        ("Quota", "Sales quotas", False, None),
        ("Commissions", "Sales commissions", False, None),
    ]),
    ("Service", "Service Desk", "Service tickets and boards", [
        ("Service Tickets", "Add, edit and view service tickets", True, None),
        ("Close Service Tickets", "Close service tickets", True, None),
        ("Service Tickets - Finance", "Financial details of service tickets", False, None),
        ("Service Tickets - Templates", "Service ticket templates", False, None),
        ("Service Boards", "Service board details", False, None),
        ("Resource Scheduling", "Schedule service resources", True, "ServiceResourceScheduling"),
        ("Knowledge Base", "Knowledge base articles", False, None),
        ("Change Approvals", "Approve changes", False, None),
        ("Ticket Merge", "Merge service tickets", False, None),
        ("Service Ticket Dependencies", "Dependencies between tickets", False, None),
    ]),
    ("System", "System", "Members, security and setup tables", [
        ("API Reports", "Reports through the API", False, None),
        ("Audit Trail", "Audit trail of records", False, None),
        ("Custom Menu Entry", "Custom menu entries", False, "SystemCustomMenuEntry"),
        ("Manage Hosted API", "Hosted API pods", False, "SystemManageHostedApi"),
        ("Mass Maintenance", "Bulk updates", False, "SystemMassMaintenance"),
        ("Members", "Members and API members", False, None),
        ("My Account", "The member's own account", True, "SystemMyAccount"),
        ("My Company", "The provider's own company setup", False, None),
        ("Security Roles", "Security roles and their settings", False, None),
        ("Table Setup", "Setup tables", False, "SystemTableSetup"),
        ("Report Writer", "Custom reports", False, None),
        ("Workflow Rules", "Workflow rules", False, None),
        ("Portal Configuration", "Customer portal", False, None),
        ("Setup Custom Fields", "User-defined fields", False, None),
        ("Member Impersonation", "Act as another member through the API", False, None),
    ]),
    ("TimeExpense", "Time & Expense", "Time entries and expenses", [
        ("Time Entry", "Enter time", True, None),
        ("Time Sheets", "Time sheets", True, None),
        ("Time Sheet Approval", "Approve time sheets", True, None),
        ("Expense Entry", "Enter expenses", True, None),
        ("Expense Reports", "Expense reports", True, None),
        ("Expense Report Approval", "Approve expense reports", True, None),
        ("Time Period Setup", "Time periods", False, None),
    ]),
    ("Reports", "Reports", "Standard reports by module", [
        ("Company Reports", "Reports of the Companies module", False, "CompanyReports"),
        ("Finance Reports", "Reports of the Finance module", False, "FinanceReports"),
        ("Marketing Reports", "Reports of the Marketing module", False, "MarketingReports"),
        ("Procurement Reports", "Reports of the Procurement module", False, "ProcurementReports"),
        ("Project Reports", "Reports of the Project module", False, "ProjectReports"),
        ("Sales Reports", "Reports of the Sales module", False, "SalesReports"),
        ("Service Reports", "Reports of the Service Desk module", False, "ServiceReports"),
        ("System Reports", "Reports of the System module", False, "SystemReports"),
        ("Time & Expense Reports", "Reports of the Time & Expense module", False, "TimeAndExpenseReports"),
    ]),
]


def _identifier(text):
    return "".join(part for part in "".join(c if c.isalnum() else " " for c in text).title().split())


def _build_functions():
    functions = []
    for module_id, module_name, module_description, entries in _MODULES:
        for function_name, description, my_all, customize in entries:
            functions.append({
                "index": len(functions),
                "moduleIdentifier": module_id,
                "moduleName": module_name,
                "moduleDescription": module_description,
                "moduleFunctionIdentifier": _identifier(function_name),
                "moduleFunctionName": function_name,
                "moduleFunctionDescription": description,
                "myAllFlag": my_all,
                "reportFlag": module_id == "Reports",
                "restrictFlag": False,
                "customFlag": customize is not None,
                "customizeIdentifier": customize,
                "sortOrder": len(functions) + 1,
            })
    return functions


#: Every module function, in display order; ``index`` is the position in this list.
FUNCTIONS = _build_functions()

_BY_LABEL = {(f["moduleName"].lower(), f["moduleFunctionName"].lower()): f for f in FUNCTIONS}


def find_function(module_name, function_name):
    """The catalogue entry for a UI label "module › function" (case-insensitive), or None."""
    return _BY_LABEL.get((str(module_name).strip().lower(), str(function_name).strip().lower()))


# (moduleIdentifier, moduleName, category, name, description)
_SETUP_SCREENS = [
    ("Company", "Companies", "Company", "Configuration", "Configuration types and their questions"),
    ("Company", "Companies", "Company", "Configuration Status", "Statuses of configurations"),
    ("Company", "Companies", "Company", "Company Status", "Statuses of companies"),
    ("Company", "Companies", "Company", "Company Type", "Types of companies"),
    ("Company", "Companies", "Company", "Contact Type", "Types of contacts"),
    ("Company", "Companies", "Company", "Team Role", "Roles of account team members"),
    ("Company", "Companies", "Company", "Market Description", "Markets of companies"),
    ("Company", "Companies", "Company", "Ownership Type", "Ownership types of companies"),
    ("Service", "Service Desk", "Service", "Priority", "Ticket priorities"),
    ("Service", "Service Desk", "Service", "Service Board", "Service boards, statuses, types and teams"),
    ("Service", "Service Desk", "Service", "SLA", "Service level agreements"),
    ("Service", "Service Desk", "Service", "Source", "Ticket sources"),
    ("Service", "Service Desk", "Service", "Service Template", "Ticket templates"),
    ("Service", "Service Desk", "Service", "Email Connector", "Mailboxes that open tickets"),
    ("Service", "Service Desk", "Service", "Impact/Urgency", "Impact and urgency matrix"),
    ("Service", "Service Desk", "Service", "Knowledge Base Category", "Knowledge base categories"),
    ("System", "System", "System", "Location", "Locations of the provider"),
    ("System", "System", "System", "Department", "Departments of the provider"),
    ("System", "System", "System", "Time Zone", "Time zones"),
    ("System", "System", "System", "Holiday List", "Holiday lists"),
    ("System", "System", "System", "Work Role", "Work roles"),
    ("System", "System", "System", "Work Type", "Work types"),
    ("System", "System", "System", "Email Templates", "Email templates"),
    ("System", "System", "System", "Document Templates", "Document templates"),
    ("Finance", "Finance", "Finance", "Billing Cycle", "Billing cycles"),
    ("Finance", "Finance", "Finance", "Billing Terms", "Payment terms"),
    ("Finance", "Finance", "Finance", "Tax Code", "Tax codes"),
    ("Finance", "Finance", "Finance", "Agreement Type", "Agreement types"),
    ("Finance", "Finance", "Finance", "Currency", "Currencies"),
    ("Procurement", "Procurement", "Procurement", "Manufacturer", "Product manufacturers"),
    ("Procurement", "Procurement", "Procurement", "Product Category", "Product categories"),
    ("Procurement", "Procurement", "Procurement", "Warehouse", "Warehouses and bins"),
    ("Procurement", "Procurement", "Procurement", "Shipment Method", "Shipment methods"),
    ("Project", "Project", "Project", "Project Board", "Project boards"),
    ("Project", "Project", "Project", "Project Type", "Project types"),
    ("Sales", "Sales", "Sales", "Opportunity Status", "Opportunity statuses"),
    ("Sales", "Sales", "Sales", "Opportunity Type", "Opportunity types"),
    ("Sales", "Sales", "Sales", "Sales Probability", "Closing probabilities"),
    ("TimeExpense", "Time & Expense", "Time", "Activity Type", "Activity types"),
    ("TimeExpense", "Time & Expense", "Expense", "Expense Type", "Expense types"),
    ("Marketing", "Marketing", "Marketing", "Campaign Type", "Campaign types"),
]

_MODULE_DESCRIPTIONS = {m[0]: m[2] for m in _MODULES}

#: The Table Setup screens, ids from 1.
SETUP_SCREENS = [
    {
        "id": number,
        "category": category,
        "name": name,
        "description": description,
        "moduleIdentifier": module_id,
        "moduleName": module_name,
        "moduleDescription": _MODULE_DESCRIPTIONS[module_id],
    }
    for number, (module_id, module_name, category, name, description) in enumerate(_SETUP_SCREENS, start=1)
]

_SCREEN_BY_LABEL = {("%s / %s" % (s["category"], s["name"])).lower(): s for s in SETUP_SCREENS}
SCREEN_BY_ID = {s["id"]: s for s in SETUP_SCREENS}


def screen_label(screen):
    """The label the UI shows for a setup screen: "Category / Name"."""
    return "%s / %s" % (screen["category"], screen["name"])


def find_screen(label):
    """The setup screen for a UI label such as "Company / Configuration" (case-insensitive), or None."""
    normalised = " / ".join(part.strip() for part in str(label).split("/", 1)).lower()
    return _SCREEN_BY_LABEL.get(normalised)
